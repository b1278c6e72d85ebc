#!/bin/sh
# Backup and restore speed against pg_dump/pg_restore run by hand.
#
#   bench/backup_bench.sh [build/safe-migrate]
#
# Starts a throwaway cluster (safe-migrate sandbox), generates a database of
# about 1 GB (pgbench -i -s $SCALE plus two extra indexes) and, in the same run,
# times:
#   - safe-migrate backup create --jobs 2   vs  pg_dump -Fd -j2 -Z1
#   - safe-migrate restore --into --jobs 2  vs  createdb + pg_restore -j2
#   - both of the above (backup + restore)  vs  pg_dump -Fc -Z1 + createdb + pg_restore
# Both sides use the same settings (directory format, gzip level 1, 2 jobs);
# safe-migrate's times include its row counts, checksums and post-restore check.
# Targets: backup and restore each within 1.10x of the raw tools; backup+restore
# faster than the single-threaded custom-format round trip.
#
# Environment: SCALE (pgbench scale, default 68, about 1 GB with the indexes),
# RUNS (times each operation is measured, default 1; the median is reported),
# JOBS (default 2), PGBIN (default /usr/lib/postgresql/15/bin).
# The sandbox runs with fsync off, so restores are faster than on a real server.
# Needs: awk, GNU time (/usr/bin/time), PostgreSQL server binaries. Run by hand;
# not part of CI.
set -eu
BIN=$(realpath "${1:-build/safe-migrate}")
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
SCALE=${SCALE:-68}
RUNS=${RUNS:-1}
JOBS=${JOBS:-2}
WORK=$(mktemp -d /tmp/sm-backup-bench.XXXXXX)
STATE="$WORK/sandbox.json"
cleanup() {
  "$BIN" sandbox stop --state "$STATE" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== free disk space (work dir $WORK; the sandbox's data lives under ${TMPDIR:-/tmp})"
df -h "$WORK" | sed 's/^/   /'

echo "== starting the sandbox"
"$BIN" sandbox start --state "$STATE" >/dev/null
URL=$("$BIN" sandbox url --state "$STATE")
url_of() {  # the sandbox URL for database $1
  printf '%s\n' "$URL" | sed "s|/postgres?|/$1?|"
}
URL_BENCH=$(url_of bench)
psql_q() {  # database, SQL; prints the unaligned result
  "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$(url_of "$1")" -c "$2"
}
echo "   $("$PGBIN/postgres" --version), $(nproc) cores"

echo "== generating: pgbench -i -s $SCALE, plus indexes"
"$PGBIN/createdb" --maintenance-db="$URL" bench
"$PGBIN/pgbench" -i -q -s "$SCALE" "$URL_BENCH" 2>&1 | tail -n 1 | sed 's/^/   /'
psql_q bench "CREATE INDEX pgbench_accounts_bid_idx ON pgbench_accounts (bid);
              CREATE INDEX pgbench_accounts_abalance_idx ON pgbench_accounts (abalance)"
psql_q bench "VACUUM ANALYZE"
echo "   database size: $(psql_q bench "SELECT pg_size_pretty(pg_database_size('bench')) || ' (' || pg_database_size('bench') || ' bytes)'")"
echo "   pgbench_accounts: $(psql_q bench "SELECT count(*) FROM pgbench_accounts") rows"

# measure NAME command...: wall seconds appended to $WORK/times.NAME. On failure
# prints the command's output verbatim and stops the benchmark.
measure() {
  name=$1; shift
  # Start each measurement with no dirty pages left by the one before (the
  # sandbox runs with fsync off, so CHECKPOINT alone leaves them to the kernel).
  psql_q postgres "CHECKPOINT"
  sync
  if ! /usr/bin/time -f "%e" -o "$WORK/time" "$@" >"$WORK/out.$name" 2>&1; then
    echo "!! $name failed: $*" >&2
    sed 's/^/   /' "$WORK/out.$name" >&2
    exit 1
  fi
  secs=$(tail -n 1 "$WORK/time")
  echo "$secs" >> "$WORK/times.$name"
  printf "   %-22s %8.2fs\n" "$name" "$secs"
}
median() {  # of $WORK/times.NAME
  sort -n "$WORK/times.$1" | awk '{ v[NR] = $1 } END {
    if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
dropdb_if() {
  PGOPTIONS="-c client_min_messages=warning" "$PGBIN/dropdb" --maintenance-db="$URL" --if-exists "$1"
}

raw_dump()  { measure raw_dump_Fd "$PGBIN/pg_dump" -Fd -j"$JOBS" -Z1 -f "$WORK/raw_dir" -d "$URL_BENCH"; }
sm_backup() { measure sm_backup "$BIN" --database-url "$URL_BENCH" backup create \
                --backup-dir "$WORK/catalog" --jobs "$JOBS"; }
raw_restore() { measure raw_restore_Fd sh -c '"$1/createdb" --maintenance-db="$2" bench_raw_restored &&
                  "$1/pg_restore" -j"$3" -d "$4" "$5"' sh \
                  "$PGBIN" "$URL" "$JOBS" "$(url_of bench_raw_restored)" "$WORK/raw_dir"; }
sm_restore() { measure sm_restore "$BIN" --database-url "$URL_BENCH" restore --latest \
                 --into bench_sm_restored --backup-dir "$WORK/catalog" --jobs "$JOBS"; }

run=1
while [ "$run" -le "$RUNS" ]; do
  echo "== run $run of $RUNS"
  rm -rf "$WORK/raw_dir" "$WORK/raw.dump" "$WORK/catalog"
  for db in bench_raw_restored bench_sm_restored bench_fc_restored; do dropdb_if "$db"; done
  # Alternate which side goes first, so neither always meets a colder cache.
  if [ $((run % 2)) -eq 1 ]; then raw_dump; sm_backup; else sm_backup; raw_dump; fi
  measure raw_dump_Fc "$PGBIN/pg_dump" -Fc -Z1 -f "$WORK/raw.dump" -d "$URL_BENCH"
  if [ $((run % 2)) -eq 1 ]; then raw_restore; sm_restore; else sm_restore; raw_restore; fi
  measure raw_restore_Fc sh -c '"$1/createdb" --maintenance-db="$2" bench_fc_restored &&
                  "$1/pg_restore" -d "$3" "$4"' sh \
                  "$PGBIN" "$URL" "$(url_of bench_fc_restored)" "$WORK/raw.dump"
  echo "   sizes: raw -Fd $(du -sh "$WORK/raw_dir" | cut -f1), safe-migrate $(du -sh "$WORK/catalog" | cut -f1), raw -Fc $(du -sh "$WORK/raw.dump" | cut -f1)"
  echo "   restored: $(psql_q postgres "SELECT string_agg(datname || ' ' || pg_size_pretty(pg_database_size(datname)), ', ' ORDER BY datname) FROM pg_database WHERE datname LIKE 'bench%'")"
  run=$((run + 1))
done
for db in bench_raw_restored bench_sm_restored bench_fc_restored; do dropdb_if "$db"; done

echo "== safe-migrate output (last run)"
sed 's/^/   /' "$WORK/out.sm_backup" "$WORK/out.sm_restore"

if [ "$RUNS" -gt 1 ]; then what="median of $RUNS runs"; else what="1 run"; fi
echo "== results (wall seconds, $what; scale $SCALE, $JOBS jobs, gzip -Z1)"
B_SM=$(median sm_backup); B_RAW=$(median raw_dump_Fd); B_FC=$(median raw_dump_Fc)
R_SM=$(median sm_restore); R_RAW=$(median raw_restore_Fd); R_FC=$(median raw_restore_Fc)
awk -v bsm="$B_SM" -v braw="$B_RAW" -v bfc="$B_FC" \
    -v rsm="$R_SM" -v rraw="$R_RAW" -v rfc="$R_FC" 'BEGIN {
  printf "   %-44s %8s\n", "operation", "seconds"
  printf "   %-44s %8.2f\n", "safe-migrate backup create --jobs '"$JOBS"'", bsm
  printf "   %-44s %8.2f\n", "pg_dump -Fd -j'"$JOBS"' -Z1", braw
  printf "   %-44s %8.2f\n", "pg_dump -Fc -Z1", bfc
  printf "   %-44s %8.2f\n", "safe-migrate restore --into --jobs '"$JOBS"'", rsm
  printf "   %-44s %8.2f\n", "createdb + pg_restore -j'"$JOBS"' (directory)", rraw
  printf "   %-44s %8.2f\n", "createdb + pg_restore (custom, 1 job)", rfc
  rb = bsm / braw; rr = rsm / rraw; smt = bsm + rsm; fct = bfc + rfc; rt = smt / fct
  printf "   backup   safe-migrate / pg_dump -Fd:      %.3fx  (target <= 1.10x: %s)\n", rb, (rb <= 1.10 ? "met" : "MISSED")
  printf "   restore  safe-migrate / pg_restore -j:    %.3fx  (target <= 1.10x: %s)\n", rr, (rr <= 1.10 ? "met" : "MISSED")
  printf "   backup+restore %.2fs vs -Fc round trip %.2fs: %.3fx  (target < 1x: %s)\n", smt, fct, rt, (rt < 1 ? "met" : "MISSED")
}'
