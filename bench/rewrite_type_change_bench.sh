#!/bin/sh
# Online type change: `safe-migrate rewrite --write` + `execute --through contract`
# against the plain ALTER, both under pgbench load (issue 21's benchmark).
#
#   bench/rewrite_type_change_bench.sh [build/safe-migrate]
#
# Starts a throwaway cluster (safe-migrate sandbox), creates three pgbench
# databases (pgbench -i -s $SCALE: 100k rows per scale unit, 2M at the default
# 20) and runs three phases, each pgbench TPC-B ($CLIENTS clients) for
# $DURATION seconds with a per-transaction log:
#   baseline  no migration
#   online    $MIGRATE_AT seconds in: ALTER TABLE pgbench_accounts ALTER COLUMN
#             abalance TYPE bigint rewritten by safe-migrate rewrite --write
#             (proven on a copy of the schema), then execute --through contract
#   plain     $MIGRATE_AT seconds in: the same ALTER through psql
# and reports per phase: pgbench's max and p99.9 latency, failed transactions,
# and how long the migration took. Targets (online): max latency <= 300 ms and
# 0 failed transactions; afterwards every abalance equals the sum of its
# pgbench_history deltas (no write lost) in every phase.
#
# Environment: SCALE (default 20), CLIENTS (default 4), THREADS (default 2),
# DURATION (default 60), MIGRATE_AT (default 5), PGBIN (default
# /usr/lib/postgresql/15/bin). Needs: awk, sort, PostgreSQL server binaries and
# pgbench. Run by hand; not part of CI (it loads the machine).
set -eu
BIN=$(realpath "${1:-build/safe-migrate}")
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
SCALE=${SCALE:-20}
CLIENTS=${CLIENTS:-4}
THREADS=${THREADS:-2}
DURATION=${DURATION:-60}
MIGRATE_AT=${MIGRATE_AT:-5}
WORK=$(mktemp -d /tmp/sm-rewrite-bench.XXXXXX)
STATE="$WORK/sandbox.json"
cleanup() {
  "$BIN" sandbox stop --state "$STATE" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== starting the sandbox"
"$BIN" sandbox start --state "$STATE" >/dev/null
URL=$("$BIN" sandbox url --state "$STATE")
url_of() { printf '%s\n' "$URL" | sed "s|/postgres?|/$1?|"; }
psql_q() {  # DB SQL
  "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$(url_of "$1")" -c "$2"
}
for db in baseline online plain; do
  echo "== generating $db: pgbench -i -s $SCALE"
  "$PGBIN/createdb" --maintenance-db="$URL" "$db"
  "$PGBIN/pgbench" -i -q -s "$SCALE" "$(url_of "$db")" 2>&1 | tail -n 1 | sed 's/^/   /'
  psql_q "$db" "VACUUM ANALYZE"
done

mkdir -p "$WORK/project/migrations"
printf 'ALTER TABLE pgbench_accounts ALTER COLUMN abalance TYPE bigint;\n' > "$WORK/original.sql"
sm() { "$BIN" --database-url "$(url_of online)" --migrations-dir "$WORK/project/migrations" "$@"; }

migrate_baseline() { :; }
migrate_online() {
  sm rewrite "$WORK/original.sql" --write > "$WORK/online.rewrite" 2>&1
  sm execute --through contract > "$WORK/online.execute" 2>&1
}
migrate_plain() {
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$(url_of plain)" \
    -c "ALTER TABLE pgbench_accounts ALTER COLUMN abalance TYPE bigint" > "$WORK/plain.psql" 2>&1
}

phase() {
  name=$1
  "$PGBIN/pgbench" -n -c "$CLIENTS" -j "$THREADS" -T "$DURATION" -l \
    --log-prefix="$WORK/$name.log" "$(url_of "$name")" > "$WORK/$name.pgbench" 2>&1 &
  bench=$!
  sleep "$MIGRATE_AT"
  start=$(date +%s.%N)
  rc=0
  "migrate_$name" || rc=$?
  end=$(date +%s.%N)
  wait "$bench" || true
  took=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
  # Column 3 of pgbench's log is the latency in microseconds.
  cat "$WORK/$name".log* | awk '{ print $3 }' | sort -n > "$WORK/$name.latencies"
  n=$(wc -l < "$WORK/$name.latencies")
  max=$(tail -n 1 "$WORK/$name.latencies")
  p999=$(awk -v n="$n" 'NR == int(n * 0.999) + 1 { print; exit }' "$WORK/$name.latencies")
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$WORK/$name.pgbench")
  lost=$(psql_q "$name" "SELECT count(*) FROM pgbench_accounts a LEFT JOIN \
    (SELECT aid, sum(delta) AS total FROM pgbench_history GROUP BY aid) h USING (aid) \
    WHERE a.abalance <> coalesce(h.total, 0)")
  type=$(psql_q "$name" "SELECT data_type FROM information_schema.columns \
    WHERE table_name = 'pgbench_accounts' AND column_name = 'abalance'")
  printf '%-9s rc=%s took=%ss txns=%s max=%.1fms p99.9=%.1fms failed=%s lost=%s abalance=%s\n' \
    "$name" "$rc" "$took" "$n" "$(echo "$max" | awk '{ print $1 / 1000 }')" \
    "$(echo "$p999" | awk '{ print $1 / 1000 }')" "${failed:-?}" "$lost" "$type"
}

echo "== $("$PGBIN/postgres" --version), $(nproc) cores, scale $SCALE, $CLIENTS clients, ${DURATION}s"
for name in baseline online plain; do
  phase "$name"
done
echo "== the online rewrite's output"
sed 's/^/   /' "$WORK/online.rewrite"
