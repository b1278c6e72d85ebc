#!/bin/sh
# Apply speed: N small migrations by safe-migrate vs dbmate, on a server with
# PostgreSQL's default durability (fsync, synchronous_commit, full_page_writes on).
#
#   bench/apply_bench.sh [build/safe-migrate]
#
# Starts a throwaway cluster (safe-migrate sandbox) and turns its durability
# settings back to PostgreSQL's defaults (the sandbox turns them off), generates
# $COUNT migrations, one CREATE TABLE each with a DROP TABLE down, in both
# layouts, with the same SQL:
#   safe-migrate  <version>_<name>.up.sql and .down.sql
#   dbmate        db/migrations/<version>_<name>.sql with -- migrate:up/down
# and creates a pool of fresh, empty databases for each tool (sm_1, sm_2, ...;
# db_1, db_2, ...). Two wrapper scripts, $WORK/safe-migrate.sh and
# $WORK/dbmate.sh, each apply every migration to the tool's next unused database
# (creating the databases is not timed), so any external timer can run them in
# turn; `safe-migrate execute` runs with its default settings: lock, drift
# check, the policy gate, preflight, timeouts, history and events.
#
# Then it times $RUNS pairs itself, alternating which goes first, checks that
# every database used ended with $COUNT applied (safe_migrate.history, dbmate's
# schema_migrations) and reports the medians and their ratio.
#
# Environment: COUNT (default 500), RUNS (default 5; the median is reported),
# POOL (databases per tool, default RUNS + 2), PREPARE_ONLY=1 (set up, print the
# two wrapper commands and the cleanup command, leave the cluster running),
# DBMATE_DIR (npm prefix for dbmate, default ~/.cache/safe-migrate-bench/dbmate),
# PGBIN (default /usr/lib/postgresql/15/bin).
# Needs: awk, sort, GNU date, npm (once, to install dbmate), PostgreSQL server
# binaries. Run by hand; not part of CI.
set -eu
BIN=$(realpath "${1:-build/safe-migrate}")
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
COUNT=${COUNT:-500}
RUNS=${RUNS:-5}
POOL=${POOL:-$((RUNS + 2))}
PREPARE_ONLY=${PREPARE_ONLY:-0}
DBMATE_DIR=${DBMATE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/safe-migrate-bench/dbmate}
WORK=$(mktemp -d /tmp/sm-apply-bench.XXXXXX)
STATE="$WORK/sandbox.json"
cleanup() {
  "$BIN" sandbox stop --state "$STATE" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
if [ "$PREPARE_ONLY" != 1 ]; then trap cleanup EXIT; fi
trap 'cleanup; exit 130' INT TERM

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
# The sandbox is tuned for tests (no fsync); a deploy target is not.
psql_q postgres "ALTER SYSTEM SET fsync = on" >/dev/null
psql_q postgres "ALTER SYSTEM SET synchronous_commit = on" >/dev/null
psql_q postgres "ALTER SYSTEM SET full_page_writes = on" >/dev/null
psql_q postgres "SELECT pg_reload_conf()" >/dev/null
sleep 1
echo "   $("$PGBIN/postgres" --version), $(nproc) cores; $(psql_q postgres \
  "SELECT string_agg(name || ' ' || setting, ', ' ORDER BY name) FROM pg_settings
   WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method')")"

echo "== generating $COUNT migrations in $WORK/sm and $WORK/db/migrations"
mkdir -p "$WORK/sm" "$WORK/db/migrations"
awk -v n="$COUNT" -v sm="$WORK/sm" -v db="$WORK/db/migrations" 'BEGIN {
  for (i = 1; i <= n; i++) {
    t = "t_" i; name = "create_" t;
    up = "CREATE TABLE " t " (id bigint PRIMARY KEY, name text NOT NULL, note text);";
    down = "DROP TABLE " t ";";
    id = sprintf("2026%010d_%s", i, name);  # mawk: %d is 32-bit, i is small
    f = sm "/" id ".up.sql";   print up > f;   close(f);
    f = sm "/" id ".down.sql"; print down > f; close(f);
    f = db "/" id ".sql";
    printf "-- migrate:up\n%s\n\n-- migrate:down\n%s\n", up, down > f; close(f);
  }
}'
echo "   $(find "$WORK/sm" -name '*.sql' | wc -l) safe-migrate files, $(find "$WORK/db/migrations" -name '*.sql' | wc -l) dbmate files"

echo "== creating $POOL empty databases per tool"
i=1
while [ "$i" -le "$POOL" ]; do
  "$PGBIN/createdb" --maintenance-db="$URL" "sm_$i"
  "$PGBIN/createdb" --maintenance-db="$URL" "db_$i"
  i=$((i + 1))
done

# wrapper NAME PREFIX COMMAND...: $WORK/NAME.sh runs COMMAND with @DB@ replaced
# by the URL of the next unused database of the pool PREFIX_1..PREFIX_$POOL (the
# counter is in $WORK/next.NAME).
wrapper() {
  name=$1; prefix=$2; shift 2
  echo 0 > "$WORK/next.$name"
  url=$(url_of "${prefix}_@N@")
  {
    echo '#!/bin/sh'
    echo 'set -eu'
    echo "read n < '$WORK/next.$name'; echo \$((n + 1)) > '$WORK/next.$name'; n=\$((n + 1))"
    echo "[ \"\$n\" -le $POOL ] || { echo 'the database pool is used up (POOL=$POOL)' >&2; exit 1; }"
    echo "db='${url%%@N@*}'\$n'${url#*@N@}'"
    echo "cd '$WORK'"  # neither tool finds a project file here
    printf 'exec'
    for arg in "$@"; do
      if [ "$arg" = @DB@ ]; then printf ' "$db"'; else printf " '%s'" "$arg"; fi
    done
    printf '\n'
  } > "$WORK/$name.sh"
  chmod +x "$WORK/$name.sh"
}
wrapper safe-migrate sm "$BIN" --database-url @DB@ --migrations-dir "$WORK/sm" execute
wrapper dbmate db "$DBMATE" --url @DB@ --migrations-dir "$WORK/db/migrations" --no-dump-schema up

if [ "$PREPARE_ONLY" = 1 ]; then
  echo "== prepared: $POOL runs per tool, each on a fresh database"
  echo "   $WORK/safe-migrate.sh"
  echo "   $WORK/dbmate.sh"
  echo "   paired: farm-bench -n $((POOL - 1)) --warmup 1 --timeout 1800 --vs $WORK/dbmate.sh -- $WORK/safe-migrate.sh"
  echo "   stop: $BIN sandbox stop --state $STATE && rm -rf $WORK"
  exit 0
fi

# measure NAME: wall seconds (ns clock) of one $WORK/NAME.sh appended to
# $WORK/times.NAME; on failure prints the command's output and stops.
measure() {
  name=$1
  t0=$(date +%s.%N)
  if ! "$WORK/$name.sh" > "$WORK/out.$name" 2>&1; then
    echo "!! $name failed" >&2
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
check() {  # database, SQL counting the applied migrations, tool
  got=$(psql_q "$1" "$2")
  if [ "$got" != "$COUNT" ]; then echo "!! $3 applied $got of $COUNT migrations in $1" >&2; exit 1; fi
}

run=1
while [ "$run" -le "$RUNS" ]; do
  echo "== run $run of $RUNS"
  psql_q postgres "CHECKPOINT"
  if [ $((run % 2)) -eq 1 ]; then measure safe-migrate; measure dbmate; else measure dbmate; measure safe-migrate; fi
  check "sm_$run" "SELECT count(*) FROM safe_migrate.history" safe-migrate
  check "db_$run" "SELECT count(*) FROM public.schema_migrations" dbmate
  run=$((run + 1))
done
echo "   both applied $COUNT every run; tables: safe-migrate $(psql_q sm_1 "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), dbmate $(psql_q db_1 "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") (dbmate's includes schema_migrations)"

echo "== safe-migrate output (last run, last lines)"
tail -n 3 "$WORK/out.safe-migrate" | sed 's/^/   /'
echo "== dbmate output (last run, last lines)"
tail -n 2 "$WORK/out.dbmate" | sed 's/^/   /'

echo "== results (wall seconds, median of $RUNS runs; $COUNT migrations)"
SM=$(median safe-migrate); DB=$(median dbmate)
awk -v sm="$SM" -v db="$DB" -v n="$COUNT" 'BEGIN {
  printf "   %-28s %8.3fs  %6.2f ms/migration\n", "safe-migrate execute", sm, sm * 1000 / n
  printf "   %-28s %8.3fs  %6.2f ms/migration\n", "dbmate up", db, db * 1000 / n
  r = sm / db
  printf "   safe-migrate / dbmate: %.3fx  (target <= 0.6x: %s)\n", r, (r <= 0.6 ? "PASS" : "FAIL")
}'
