#!/bin/sh
# Apply speed: 500 small migrations by safe-migrate vs dbmate.
#
#   bench/apply_bench.sh [build/safe-migrate]
#
# Starts a throwaway cluster (safe-migrate sandbox), generates $COUNT small
# migrations (in turn: CREATE TABLE, ALTER TABLE ADD COLUMN, CREATE INDEX on the
# still tiny table, INSERT of a few rows) in both layouts, with the same SQL:
#   safe-migrate  <version>_<name>.up.sql and .down.sql
#   dbmate        db/migrations/<version>_<name>.sql with -- migrate:up/down
# and, in the same run, times `safe-migrate execute` and `dbmate up` (npm
# package dbmate) each applying all of them to its own fresh database (createdb
# is not timed), alternating which goes first. Each run checks that both ended
# with $COUNT applied (safe_migrate.history, dbmate's schema_migrations).
# Target: safe-migrate no slower than dbmate, its safety work included
# (parsing, advisory lock, checks, lock_timeout/statement_timeout, history and
# events).
#
# Environment: COUNT (default 500), RUNS (default 3; the median is reported),
# DBMATE_DIR (npm prefix for dbmate, default ~/.cache/safe-migrate-bench/dbmate),
# PGBIN (default /usr/lib/postgresql/15/bin).
# Needs: awk, sort, GNU date, npm (once, to install dbmate), PostgreSQL server
# binaries. The sandbox runs with fsync off. Run by hand; not part of CI.
set -eu
BIN=$(realpath "${1:-build/safe-migrate}")
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
COUNT=${COUNT:-500}
RUNS=${RUNS:-3}
DBMATE_DIR=${DBMATE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/safe-migrate-bench/dbmate}
WORK=$(mktemp -d /tmp/sm-apply-bench.XXXXXX)
STATE="$WORK/sandbox.json"
cleanup() {
  "$BIN" sandbox stop --state "$STATE" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

DBMATE="$DBMATE_DIR/node_modules/.bin/dbmate"
if [ ! -x "$DBMATE" ]; then
  echo "== installing dbmate into $DBMATE_DIR"
  mkdir -p "$DBMATE_DIR"
  npm install --silent --no-audit --no-fund --prefix "$DBMATE_DIR" dbmate >/dev/null 2>&1
fi
echo "== $("$DBMATE" --version), $("$BIN" --version)"

echo "== starting the sandbox"
"$BIN" sandbox start --state "$STATE" >/dev/null
URL=$("$BIN" sandbox url --state "$STATE")
url_of() {  # the sandbox URL for database $1; no SSL for either tool
  printf '%s\n' "$URL" | sed "s|/postgres?|/$1?sslmode=disable\&|"
}
psql_q() {  # database, SQL; prints the unaligned result
  "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$(url_of "$1")" -c "$2"
}
echo "   $("$PGBIN/postgres" --version), $(nproc) cores"

echo "== generating $COUNT migrations in $WORK/sm and $WORK/db/migrations"
mkdir -p "$WORK/sm" "$WORK/db/migrations"
awk -v n="$COUNT" -v sm="$WORK/sm" -v db="$WORK/db/migrations" 'BEGIN {
  for (i = 1; i <= n; i++) {
    g = int((i - 1) / 4); k = (i - 1) % 4; t = "t_" g;
    if (k == 0) { name = "create_" t;
      up = "CREATE TABLE " t " (id bigint PRIMARY KEY, name text NOT NULL);";
      down = "DROP TABLE " t ";" }
    else if (k == 1) { name = "add_note_to_" t;
      up = "ALTER TABLE " t " ADD COLUMN note text;";
      down = "ALTER TABLE " t " DROP COLUMN note;" }
    else if (k == 2) { name = "index_" t "_name";
      up = "CREATE INDEX " t "_name_idx ON " t " (name);";
      down = "DROP INDEX " t "_name_idx;" }
    else { name = "seed_" t;
      up = "INSERT INTO " t " (id, name, note) VALUES (1, '\''one'\'', NULL), (2, '\''two'\'', '\''x'\''), (3, '\''three'\'', '\''y'\'');";
      down = "DELETE FROM " t ";" }
    id = sprintf("2026%010d_%s", i, name);  # mawk: %d is 32-bit, i is small
    f = sm "/" id ".up.sql";   print up > f;   close(f);
    f = sm "/" id ".down.sql"; print down > f; close(f);
    f = db "/" id ".sql";
    printf "-- migrate:up\n%s\n\n-- migrate:down\n%s\n", up, down > f; close(f);
  }
}'
echo "   $(find "$WORK/sm" -name '*.sql' | wc -l) safe-migrate files, $(find "$WORK/db/migrations" -name '*.sql' | wc -l) dbmate files"

fresh_db() {
  PGOPTIONS="-c client_min_messages=warning" "$PGBIN/dropdb" --maintenance-db="$URL" --if-exists "$1"
  "$PGBIN/createdb" --maintenance-db="$URL" "$1"
}
# measure NAME command...: wall seconds (ns clock) appended to $WORK/times.NAME;
# on failure prints the command's output and stops.
measure() {
  name=$1; shift
  psql_q postgres "CHECKPOINT"
  t0=$(date +%s.%N)
  if ! "$@" > "$WORK/out.$name" 2>&1; then
    echo "!! $name failed: $*" >&2
    tail -n 20 "$WORK/out.$name" | sed 's/^/   /' >&2
    exit 1
  fi
  t1=$(date +%s.%N)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  echo "$secs" >> "$WORK/times.$name"
  printf "   %-14s %8.3fs\n" "$name" "$secs"
}
median() {  # of $WORK/times.NAME
  sort -n "$WORK/times.$1" | awk '{ v[NR] = $1 } END {
    if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
run_sm() {
  measure safe-migrate "$BIN" --database-url "$(url_of apply_sm)" --migrations-dir "$WORK/sm" execute
}
run_dbmate() {
  measure dbmate "$DBMATE" --url "$(url_of apply_dbmate)" --migrations-dir "$WORK/db/migrations" \
    --no-dump-schema up
}
check() {  # database, SQL counting the applied migrations, tool
  got=$(psql_q "$1" "$2")
  if [ "$got" != "$COUNT" ]; then echo "!! $3 applied $got of $COUNT migrations" >&2; exit 1; fi
}

cd "$WORK"  # neither tool finds a project file here
run=1
while [ "$run" -le "$RUNS" ]; do
  echo "== run $run of $RUNS"
  fresh_db apply_sm; fresh_db apply_dbmate
  if [ $((run % 2)) -eq 1 ]; then run_sm; run_dbmate; else run_dbmate; run_sm; fi
  check apply_sm "SELECT count(*) FROM safe_migrate.history" safe-migrate
  check apply_dbmate "SELECT count(*) FROM public.schema_migrations" dbmate
  echo "   both applied $COUNT; tables: safe-migrate $(psql_q apply_sm "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), dbmate $(psql_q apply_dbmate "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'" ) (dbmate's includes schema_migrations)"
  run=$((run + 1))
done

echo "== safe-migrate output (last run, last lines)"
tail -n 3 "$WORK/out.safe-migrate" | sed 's/^/   /'
echo "== dbmate output (last run, last lines)"
tail -n 2 "$WORK/out.dbmate" | sed 's/^/   /'

if [ "$RUNS" -gt 1 ]; then what="median of $RUNS runs"; else what="1 run"; fi
echo "== results (wall seconds, $what; $COUNT migrations)"
SM=$(median safe-migrate); DB=$(median dbmate)
awk -v sm="$SM" -v db="$DB" -v n="$COUNT" 'BEGIN {
  printf "   %-28s %8.3fs  %6.2f ms/migration\n", "safe-migrate execute", sm, sm * 1000 / n
  printf "   %-28s %8.3fs  %6.2f ms/migration\n", "dbmate up", db, db * 1000 / n
  r = sm / db
  printf "   safe-migrate / dbmate: %.3fx  (target <= 1x: %s)\n", r, (r <= 1 ? "PASS" : "FAIL")
}'
