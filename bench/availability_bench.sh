#!/bin/sh
# Availability under a long reader: safe-migrate execute vs plain psql.
#
#   bench/availability_bench.sh [build/safe-migrate]
#
# Starts a throwaway cluster (safe-migrate sandbox) with a pgbench database
# (pgbench -i -s $SCALE), then runs two phases in the same run. In each phase
# pgbench -S (read-only, $CLIENTS clients) reads pgbench_accounts for $DURATION
# seconds with a per-transaction log; $BLOCKER_AT seconds in, another session
# opens a transaction that reads pgbench_accounts and then sleeps
# $BLOCKER_SECS seconds (holding its ACCESS SHARE lock); $MIGRATE_AFTER seconds
# after that, ALTER TABLE pgbench_accounts ADD COLUMN is applied:
#   phase 1: through safe-migrate execute --lock-timeout $LOCK_TIMEOUT
#            --blocker-age 1h: the preflight lets the run start, so the
#            lock-timeout retries meet the blocker (the retry watches the
#            blocking session and runs as soon as it is gone)
#   phase 2: through safe-migrate execute --lock-timeout $LOCK_TIMEOUT
#            --wait-for-blockers 30s --blocker-age 200ms: the preflight waits
#   phase 3: through plain psql -c (no lock_timeout)
# Targets (phases 1 and 2): pgbench's maximum latency <= lock_timeout + 100 ms,
# zero failed pgbench transactions, and the migration lands (its history row's
# applied_at, DB clock) within 1 s of the blocker's end (clock_timestamp()
# right after its COMMIT). Phase 3 is the baseline: its stall should be about
# the blocker's remaining time (ALTER queues behind the reader and pgbench's
# reads queue behind the ALTER).
#
# Environment: LOCK_TIMEOUT (default 200ms; "Nms" or "Ns"), SCALE (default 10),
# CLIENTS (default 4), THREADS (default 2), DURATION (pgbench -T, default 14),
# BLOCKER_AT (default 2), BLOCKER_SECS (default 6), MIGRATE_AFTER (default 0.5),
# PGBIN (default /usr/lib/postgresql/15/bin).
# Needs: awk, sort, PostgreSQL server binaries and pgbench. Run by hand; not
# part of CI.
set -eu
BIN=$(realpath "${1:-build/safe-migrate}")
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
LOCK_TIMEOUT=${LOCK_TIMEOUT:-200ms}
SCALE=${SCALE:-10}
CLIENTS=${CLIENTS:-4}
THREADS=${THREADS:-2}
DURATION=${DURATION:-14}
BLOCKER_AT=${BLOCKER_AT:-2}
BLOCKER_SECS=${BLOCKER_SECS:-6}
MIGRATE_AFTER=${MIGRATE_AFTER:-0.5}
WORK=$(mktemp -d /tmp/sm-availability-bench.XXXXXX)
STATE="$WORK/sandbox.json"
PIDS=""
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null || true; done
  "$BIN" sandbox stop --state "$STATE" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

LT_MS=$(printf '%s\n' "$LOCK_TIMEOUT" | awk '
  /^[0-9.]+ms$/ { sub(/ms$/, ""); print $0 + 0; next }
  /^[0-9.]+s$/  { sub(/s$/, "");  print $0 * 1000; next }
  { print "bad" }')
if [ "$LT_MS" = bad ]; then echo "LOCK_TIMEOUT must look like 1s or 500ms, not $LOCK_TIMEOUT" >&2; exit 2; fi

# The preflight flags are recent: without them the run still measures the
# lock-timeout-and-retry path, and says so.
WAIT_FLAGS="--wait-for-blockers 30s --blocker-age 200ms"
if ! "$BIN" execute --help 2>/dev/null | grep -q -- '--wait-for-blockers'; then
  echo "!! $BIN execute does not accept --wait-for-blockers/--blocker-age yet;"
  echo "!! phase 1 runs with --lock-timeout $LOCK_TIMEOUT and the default retries only."
  WAIT_FLAGS=""
fi

echo "== starting the sandbox"
"$BIN" sandbox start --state "$STATE" >/dev/null
URL=$("$BIN" sandbox url --state "$STATE")
URL_DB=$(printf '%s\n' "$URL" | sed "s|/postgres?|/avail?|")
psql_q() {  # SQL; prints the unaligned result
  "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$URL_DB" -c "$1"
}
echo "   $("$PGBIN/postgres" --version), $(nproc) cores"

echo "== generating: pgbench -i -s $SCALE"
"$PGBIN/createdb" --maintenance-db="$URL" avail
"$PGBIN/pgbench" -i -q -s "$SCALE" "$URL_DB" 2>&1 | tail -n 1 | sed 's/^/   /'
psql_q "VACUUM ANALYZE"
echo "   pgbench_accounts: $(psql_q "SELECT count(*) FROM pgbench_accounts") rows"

# One project; each safe-migrate phase adds its migration before it runs.
mkdir -p "$WORK/migrations"

# phase NAME: pgbench + blocker + the migration (migrate_NAME). Leaves
# $WORK/NAME.{pgbench,blocker,migrate,landed,took,rc} and the pgbench logs.
migrate_retry() {
  "$BIN" --database-url "$URL_DB" --migrations-dir "$WORK/migrations" execute \
    --lock-timeout "$LOCK_TIMEOUT" --blocker-age 1h
}
landed_retry() {
  psql_q "SELECT extract(epoch FROM applied_at) FROM safe_migrate.history WHERE version = 1"
}
migrate_sm() {
  # shellcheck disable=SC2086  # WAIT_FLAGS is a word list
  "$BIN" --database-url "$URL_DB" --migrations-dir "$WORK/migrations" execute \
    --lock-timeout "$LOCK_TIMEOUT" $WAIT_FLAGS
}
landed_sm() {
  psql_q "SELECT extract(epoch FROM applied_at) FROM safe_migrate.history WHERE version = 2"
}
migrate_psql() {
  # One simple-query string: one implicit transaction; the SELECT runs right
  # after the ALTER got its lock and finished.
  "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$URL_DB" \
    -c "ALTER TABLE pgbench_accounts ADD COLUMN note_psql text; SELECT 'landed ' || extract(epoch FROM clock_timestamp())"
}
landed_psql() {
  sed -n 's/^landed //p' "$WORK/psql.migrate"
}
now() { date +%s.%N; }

phase() {
  name=$1
  rm -f "$WORK/$name".log*
  "$PGBIN/pgbench" -n -S -c "$CLIENTS" -j "$THREADS" -T "$DURATION" -l \
    --log-prefix="$WORK/$name.log" "$URL_DB" > "$WORK/$name.pgbench" 2>&1 &
  pgbench_pid=$!; PIDS="$pgbench_pid"
  sleep "$BLOCKER_AT"
  "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$URL_DB" > "$WORK/$name.blocker" 2>&1 <<SQL &
BEGIN;
SELECT count(*) FROM pgbench_accounts \\g /dev/null
SELECT 'start ' || extract(epoch FROM clock_timestamp());
SELECT pg_sleep($BLOCKER_SECS) \\g /dev/null
COMMIT;
SELECT 'end ' || extract(epoch FROM clock_timestamp());
SQL
  blocker_pid=$!; PIDS="$pgbench_pid $blocker_pid"
  sleep "$MIGRATE_AFTER"
  t0=$(now)
  rc=0; "migrate_$name" > "$WORK/$name.migrate" 2>&1 || rc=$?
  t1=$(now)
  echo "$rc" > "$WORK/$name.rc"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", (b - a) * 1000 }' > "$WORK/$name.took"
  if [ "$rc" -eq 0 ]; then "landed_$name" > "$WORK/$name.landed"; else : > "$WORK/$name.landed"; fi
  brc=0; wait "$blocker_pid" || brc=$?
  prc=0; wait "$pgbench_pid" || prc=$?
  PIDS=""
  if [ "$brc" -ne 0 ]; then echo "!! the blocker failed:" >&2; sed 's/^/   /' "$WORK/$name.blocker" >&2; exit 1; fi
  echo "$prc" > "$WORK/$name.pgbench_rc"
}

# report NAME LABEL: prints the phase's figures and leaves MAX_MS, FAILED,
# LANDED_MS (empty when it did not land) for the targets.
report() {
  name=$1
  summary=$(cat "$WORK/$name".log* | awk '
    $3 ~ /^[0-9]+$/ { n++; print $3 > "/dev/stderr"; if ($3 + 0 > max) max = $3 + 0; next }
    { bad++ }
    END { printf "%.0f %.0f %.3f\n", n, bad, max / 1000 }' 2> "$WORK/$name.lat")
  p99=$(sort -n "$WORK/$name.lat" | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "n/a"; exit } i = int(NR * 0.99); if (i < 1) i = 1; printf "%.3f\n", v[i] / 1000 }')
  read -r logged logfailed MAX_MS <<EOF
$summary
EOF
  processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$WORK/$name.pgbench")
  FAILED=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$WORK/$name.pgbench")
  FAILED=${FAILED:-0}
  aborted=$(grep -c 'aborted' "$WORK/$name.pgbench" || true)
  if [ "$logfailed" -gt "$FAILED" ]; then FAILED=$logfailed; fi
  if [ "$aborted" -gt 0 ]; then FAILED=$((FAILED + aborted)); fi
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$WORK/$name.pgbench")
  bstart=$(sed -n 's/^start //p' "$WORK/$name.blocker")
  bend=$(sed -n 's/^end //p' "$WORK/$name.blocker")
  landed=$(cat "$WORK/$name.landed")
  printf "   pgbench: %s transactions (%s in the logs), %s failed, %s aborted-client lines, exit %s, %.0f tps\n" \
    "${processed:-?}" "$logged" "$FAILED" "$aborted" "$(cat "$WORK/$name.pgbench_rc")" "${tps:-0}"
  printf "   pgbench latency: max %.1f ms, p99 %s ms\n" "$MAX_MS" "$p99"
  awk -v s="$bstart" -v e="$bend" 'BEGIN { printf "   blocker held its lock for %.0f ms\n", (e - s) * 1000 }'
  printf "   migration command: exit %s, %s ms wall\n" "$(cat "$WORK/$name.rc")" "$(cat "$WORK/$name.took")"
  if [ -n "$landed" ]; then
    LANDED_MS=$(awk -v l="$landed" -v e="$bend" 'BEGIN { d = (l - e) * 1000; if (d > -0.05 && d < 0.05) d = 0; printf "%.1f", d }')
    echo "   migration landed $LANDED_MS ms after the blocker ended (DB clock)"
  else
    LANDED_MS=""
    echo "   migration did not land; its output:"
    sed 's/^/     /' "$WORK/$name.migrate"
  fi
}
verdict() { if [ "$1" = 1 ]; then echo PASS; else echo FAIL; fi; }

echo "   pgbench -S -c $CLIENTS -j $THREADS -T $DURATION; blocker at ${BLOCKER_AT}s for ${BLOCKER_SECS}s; migration ${MIGRATE_AFTER}s later"
echo "== phase 1: safe-migrate execute --lock-timeout $LOCK_TIMEOUT --blocker-age 1h (lock-timeout retries)"
printf 'ALTER TABLE pgbench_accounts ADD COLUMN note_retry text;\n' \
  > "$WORK/migrations/1_add_note_retry.up.sql"
phase retry
report retry
RETRY_MAX=$MAX_MS; RETRY_FAILED=$FAILED; RETRY_LANDED=$LANDED_MS
echo "   safe-migrate output:"
sed 's/^/     /' "$WORK/retry.migrate"

echo "== phase 2: safe-migrate execute --lock-timeout $LOCK_TIMEOUT ${WAIT_FLAGS:-(no preflight flags)} (preflight wait)"
printf 'ALTER TABLE pgbench_accounts ADD COLUMN note_sm text;\n' \
  > "$WORK/migrations/2_add_note_sm.up.sql"
phase sm
report sm
SM_MAX=$MAX_MS; SM_FAILED=$FAILED; SM_LANDED=$LANDED_MS
echo "   safe-migrate output:"
sed 's/^/     /' "$WORK/sm.migrate"

echo "== phase 3: psql -c 'ALTER TABLE ... ADD COLUMN' (no lock_timeout)"
phase psql
report psql
PSQL_MAX=$MAX_MS

echo "== results (lock_timeout $LOCK_TIMEOUT = $LT_MS ms)"
limit=$((LT_MS + 100))
# targets LABEL MAX_MS FAILED LANDED_MS
targets() {
  ok=$(awk -v m="$2" -v l="$limit" 'BEGIN { print (m <= l) ? 1 : 0 }')
  printf "   %s  %s: pgbench max latency %.1f ms <= lock_timeout + 100 ms (%d ms)\n" "$(verdict "$ok")" "$1" "$2" "$limit"
  ok=$([ "$3" -eq 0 ] && echo 1 || echo 0)
  printf "   %s  %s: %s failed pgbench transactions (target 0)\n" "$(verdict "$ok")" "$1" "$3"
  if [ -n "$4" ]; then
    ok=$(awk -v l="$4" 'BEGIN { print (l <= 1000) ? 1 : 0 }')
    printf "   %s  %s: landed %s ms after the blocker ended (target <= 1000 ms)\n" "$(verdict "$ok")" "$1" "$4"
  else
    printf "   FAIL  %s: the migration did not land\n" "$1"
  fi
}
targets "safe-migrate, retries" "$RETRY_MAX" "$RETRY_FAILED" "$RETRY_LANDED"
targets "safe-migrate, preflight wait" "$SM_MAX" "$SM_FAILED" "$SM_LANDED"
printf "   info  psql baseline: pgbench max latency %.1f ms, ALTER took %s ms, landed %s ms after the blocker ended\n" \
  "$PSQL_MAX" "$(cat "$WORK/psql.took")" "${LANDED_MS:-?}"
ok=$(awk -v m="$PSQL_MAX" -v b="$BLOCKER_SECS" -v a="$MIGRATE_AFTER" 'BEGIN { print (m >= (b - a) * 1000 * 0.8) ? 1 : 0 }')
printf "   %s  baseline reproduces the stall (psql max latency about the blocker's remaining %.1f s)\n" \
  "$(verdict "$ok")" "$(awk -v b="$BLOCKER_SECS" -v a="$MIGRATE_AFTER" 'BEGIN { print b - a }')"
