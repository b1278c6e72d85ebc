#!/bin/sh
# Backfill speed: safe-migrate's backfill runner against a hand-written keyset
# loop with the same batch size, and the single plain UPDATE beside them.
#
#   bench/backfill_bench.sh [build/safe-migrate]
#
# Starts a throwaway cluster (safe-migrate sandbox) with PostgreSQL's default
# durability, and for each size in $SIZES creates two identical databases
# (sm_N, loop_N) holding accounts(id bigint PRIMARY KEY, balance int, doubled
# bigint) with N rows. Each run updates every row (doubled = balance * 2):
#   safe-migrate  `execute` of one phase=backfill migration, batches of $BATCH
#                 keys, sleep_ratio 0, with its throttling signals read before
#                 every batch (pause flag, replica lag with max_replica_lag set,
#                 lock waiters)
#   keyset loop   one psql DO block: the next $BATCH keys after the last one,
#                 UPDATE that range, COMMIT, repeat (the same keyset walk)
# Two wrapper scripts, $WORK/safe-migrate-N.sh and $WORK/keyset-loop-N.sh, first
# forget the previous run (safe-migrate's history rows; nothing for the loop),
# then run, so any external timer can run them in turn. The script times $RUNS
# pairs itself, alternating which goes first, checks every row afterwards, and
# times one plain UPDATE of the whole table on a third copy.
#
# Environment: SIZES (default "300000 3000000"), BATCH (default 5000), RUNS
# (default 3; the median is reported), PREPARE_ONLY=1 (set up, print the wrapper
# commands and the cleanup command, leave the cluster running), PGBIN (default
# /usr/lib/postgresql/15/bin). Needs awk, sort, GNU date, PostgreSQL server
# binaries. Run by hand; not part of CI.
set -eu
BIN=$(realpath "${1:-build/safe-migrate}")
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
SIZES=${SIZES:-300000 3000000}
BATCH=${BATCH:-5000}
RUNS=${RUNS:-3}
PREPARE_ONLY=${PREPARE_ONLY:-0}
WORK=$(mktemp -d /tmp/sm-backfill-bench.XXXXXX)
STATE="$WORK/sandbox.json"
cleanup() {
  "$BIN" sandbox stop --state "$STATE" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
if [ "$PREPARE_ONLY" != 1 ]; then trap cleanup EXIT; fi
trap 'cleanup; exit 130' INT TERM

echo "== $("$BIN" --version | head -n 1); starting the sandbox"
"$BIN" sandbox start --state "$STATE" >/dev/null
URL=$("$BIN" sandbox url --state "$STATE")
url_of() { printf '%s\n' "$URL" | sed "s|/postgres?|/$1?sslmode=disable\&|"; }
psql_q() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$(url_of "$1")" -c "$2"; }
for s in "fsync = on" "synchronous_commit = on" "full_page_writes = on" "max_wal_size = '4GB'"; do
  psql_q postgres "ALTER SYSTEM SET $s" >/dev/null
done
psql_q postgres "SELECT pg_reload_conf()" >/dev/null
sleep 1
echo "   $("$PGBIN/postgres" --version), $(nproc) cores, batches of $BATCH keys"

mkdir -p "$WORK/migrations"
printf -- '-- safe-migrate: phase=backfill\nUPDATE accounts SET doubled = balance * 2;\n' \
  > "$WORK/migrations/1_fill_doubled.up.sql"
printf '[backfill]\nbatch_size = %s\nmax_batch_size = %s\nsleep_ratio = 0\nmax_replica_lag = "30s"\n' \
  "$BATCH" "$BATCH" > "$WORK/safe-migrate.toml"
cat > "$WORK/keyset-loop.sql" <<SQL
DO \$\$ DECLARE last bigint := 0; hi bigint; BEGIN LOOP
  SELECT max(id) INTO hi FROM (SELECT id FROM accounts WHERE id > last ORDER BY id LIMIT $BATCH) s;
  EXIT WHEN hi IS NULL;
  UPDATE accounts SET doubled = balance * 2 WHERE id > last AND id <= hi;
  last := hi; COMMIT; END LOOP; END \$\$;
SQL

for n in $SIZES; do
  echo "== creating sm_$n, loop_$n and plain_$n with $n rows"
  for db in "sm_$n" "loop_$n" "plain_$n"; do
    "$PGBIN/createdb" --maintenance-db="$URL" "$db"
    psql_q "$db" "CREATE TABLE accounts (id bigint PRIMARY KEY, balance int NOT NULL, doubled bigint);
      INSERT INTO accounts (id, balance) SELECT g, (g::bigint * 7919) % 1000 FROM generate_series(1, $n) g" >/dev/null
    psql_q "$db" "VACUUM ANALYZE accounts" >/dev/null
  done
  cat > "$WORK/safe-migrate-$n.sh" <<SH
#!/bin/sh
set -eu
"$PGBIN/psql" -X -q -d '$(url_of "sm_$n")' -c "DELETE FROM safe_migrate.history WHERE EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'safe_migrate')" >/dev/null 2>&1 || true
cd '$WORK'
exec '$BIN' --database-url '$(url_of "sm_$n")' --migrations-dir '$WORK/migrations' execute
SH
  cat > "$WORK/keyset-loop-$n.sh" <<SH
#!/bin/sh
exec "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d '$(url_of "loop_$n")' -f '$WORK/keyset-loop.sql'
SH
  chmod +x "$WORK/safe-migrate-$n.sh" "$WORK/keyset-loop-$n.sh"
done

if [ "$PREPARE_ONLY" = 1 ]; then
  echo "== prepared"
  for n in $SIZES; do echo "   $WORK/safe-migrate-$n.sh    $WORK/keyset-loop-$n.sh"; done
  echo "   stop: $BIN sandbox stop --state $STATE && rm -rf $WORK"
  exit 0
fi

measure() {  # NAME: wall seconds of $WORK/NAME.sh, appended to $WORK/times.NAME
  t0=$(date +%s.%N)
  if ! "$WORK/$1.sh" > "$WORK/out.$1" 2>&1; then
    echo "!! $1 failed" >&2; tail -n 20 "$WORK/out.$1" | sed 's/^/   /' >&2; exit 1
  fi
  t1=$(date +%s.%N)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  echo "$secs" >> "$WORK/times.$1"
  printf "   %-24s %8.3fs\n" "$1" "$secs"
}
median() {
  sort -n "$WORK/times.$1" | awk '{ v[NR] = $1 } END {
    if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
for n in $SIZES; do
  run=1
  while [ "$run" -le "$RUNS" ]; do
    echo "== $n rows, run $run of $RUNS"
    psql_q postgres "CHECKPOINT"
    if [ $((run % 2)) -eq 1 ]; then measure "safe-migrate-$n"; measure "keyset-loop-$n"
    else measure "keyset-loop-$n"; measure "safe-migrate-$n"; fi
    for db in "sm_$n" "loop_$n"; do
      bad=$(psql_q "$db" "SELECT count(*) FROM accounts WHERE doubled IS DISTINCT FROM balance * 2")
      [ "$bad" = 0 ] || { echo "!! $db: $bad rows not updated" >&2; exit 1; }
    done
    run=$((run + 1))
  done
  psql_q postgres "CHECKPOINT"
  t0=$(date +%s.%N)
  psql_q "plain_$n" "UPDATE accounts SET doubled = balance * 2" >/dev/null
  t1=$(date +%s.%N)
  PLAIN=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  SM=$(median "safe-migrate-$n"); LOOPT=$(median "keyset-loop-$n")
  echo "== $n rows: median of $RUNS runs (wall seconds)"
  awk -v sm="$SM" -v lp="$LOOPT" -v pl="$PLAIN" -v n="$n" 'BEGIN {
    printf "   %-34s %8.3fs  %9.0f rows/s\n", "safe-migrate execute (backfill)", sm, n / sm
    printf "   %-34s %8.3fs  %9.0f rows/s\n", "psql keyset loop", lp, n / lp
    printf "   %-34s %8.3fs  %9.0f rows/s  (one transaction, one run)\n", "plain UPDATE", pl, n / pl
    r = lp / sm
    printf "   safe-migrate rows/s / loop rows/s: %.3fx  (target >= 0.7x: %s)\n", r, (r >= 0.7 ? "PASS" : "FAIL")
  }'
  tail -n 3 "$WORK/out.safe-migrate-$n" | sed 's/^/   /'
done
