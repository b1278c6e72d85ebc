#!/bin/sh
# Backup and restore through an S3 catalog (s3rver) against the local-directory
# catalog, in the same run.
#
#   bench/remote_backup_bench.sh [build/safe-migrate]
#
# Starts a throwaway cluster (safe-migrate sandbox) and s3rver (tests/s3, the
# pinned version the tests use; no checking proxy in front: this measures the
# client), generates a pgbench database (pgbench -i -s $SCALE: about 1 GB at
# 70) and times, alternating which side goes first:
#   - backup create into the local catalog  vs  into the S3 catalog
#   - restore --latest --into a new database from each
# with the peak RSS of each (GNU time's "Maximum resident set size"), and the
# breakdown of each: the step timings the tool logs under --verbose ("timings
# of backup <id> create|upload|verify|restore: pg_dump 1.2s, ..."): create is
# prepare, pg_dump, checksums, encryption, manifest, then upload (files,
# manifest) for S3; restore is verify (download for S3, checksums, manifest),
# then restore (checks, decrypt when encrypted, pg_restore); "other" is the
# wall time no step accounts for (process start, connecting, listing).
# Targets (issue 20): remote at most 1.25x local; peak RSS under 200 MB.
#
# Environment: SCALE (default 70), RUNS (default 1; medians reported), JOBS
# (default 2), PGBIN (default /usr/lib/postgresql/15/bin). Needs: node/npm
# (tests/support/npm_install.sh), GNU time, PostgreSQL 15 server binaries. Run by hand;
# not part of CI.
set -eu
BIN=$(realpath "${1:-build/safe-migrate}")
HERE=$(cd "$(dirname "$0")/.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
SCALE=${SCALE:-70}
RUNS=${RUNS:-1}
JOBS=${JOBS:-2}
WORK=$(mktemp -d /tmp/sm-remote-bench.XXXXXX)
STATE="$WORK/sandbox.json"
S3PID=""
cleanup() {
  [ -n "$S3PID" ] && kill "$S3PID" 2>/dev/null || true
  "$BIN" sandbox stop --state "$STATE" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== starting the sandbox and s3rver"
"$BIN" sandbox start --state "$STATE" >/dev/null
URL=$("$BIN" sandbox url --state "$STATE")
url_of() { printf '%s\n' "$URL" | sed "s|/postgres?|/$1?|"; }
URL_BENCH=$(url_of bench)
psql_q() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$(url_of "$1")" -c "$2"; }
NODE="${S3_NODE_DIR:-$HERE/build/s3-node}"  # the tests install s3rver there too
mkdir -p "$NODE"
flock "$NODE/.install.lock" sh "$HERE/tests/support/npm_install.sh" "$HERE/tests/s3" "$NODE" s3rver
mkdir -p "$WORK/s3data"
"$NODE/node_modules/.bin/s3rver" -d "$WORK/s3data" -a 127.0.0.1 -p 0 \
  --configure-bucket bench --no-vhost-buckets >"$WORK/s3rver.log" 2>&1 &
S3PID=$!
PORT=""
while [ -z "$PORT" ]; do
  sleep 0.2
  PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/s3rver.log")
done
mkdir -p "$WORK/local" "$WORK/remote"
printf '[backup]\ndir = "%s"\njobs = %s\n' "$WORK/local/backups" "$JOBS" > "$WORK/local/safe-migrate.toml"
printf '[backup]\nstorage = "s3"\nendpoint = "http://127.0.0.1:%s"\nbucket = "bench"\nprefix = "b"\njobs = %s\ncache_dir = "%s"\n' \
  "$PORT" "$JOBS" "$WORK/cache" > "$WORK/remote/safe-migrate.toml"
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
echo "   $("$PGBIN/postgres" --version), $(nproc) cores, s3rver on port $PORT"

echo "== generating: pgbench -i -s $SCALE"
"$PGBIN/createdb" --maintenance-db="$URL" bench
"$PGBIN/pgbench" -i -q -s "$SCALE" "$URL_BENCH" 2>&1 | tail -n 1 | sed 's/^/   /'
psql_q bench "VACUUM ANALYZE"
echo "   database size: $(psql_q bench "SELECT pg_size_pretty(pg_database_size('bench'))")"

# measure NAME DIR command...: wall seconds and peak RSS (kB) of the command
# run in DIR, appended to $WORK/times.NAME and $WORK/rss.NAME.
measure() {
  name=$1; dir=$2; shift 2
  psql_q postgres "CHECKPOINT"
  sync
  if ! (cd "$dir" && /usr/bin/time -v -o "$WORK/time" "$@") >"$WORK/out.$name" 2>&1; then
    echo "!! $name failed: $*" >&2
    sed 's/^/   /' "$WORK/out.$name" >&2
    exit 1
  fi
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0;
                     for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$WORK/time")
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time")
  echo "$secs" >> "$WORK/times.$name"
  echo "$rss" >> "$WORK/rss.$name"
  steps "$name"
  printf "   %-16s %8.2fs  peak RSS %6d MB\n" "$name" "$secs" $((rss / 1024))
}
# steps NAME: the step timings the tool logged in $WORK/out.NAME, appended to
# $WORK/steps.NAME as "phase.step seconds" lines ("create.pg_dump 1.200").
steps() {
  sed -n 's/.*timings of backup [^ ]* \([a-z]*\): \(.*\)/\1 \2/p' "$WORK/out.$1" | awk '{
    phase = $1; sub(/^[a-z]+ /, ""); n = split($0, items, ", ")
    for (i = 1; i <= n; i++) {
      k = split(items[i], t, " "); secs = 0; j = k
      while (j > 1 && t[j] ~ /^[0-9.]+(ms|s|min|h)$/) {  # util::format_duration: "1min 2s"
        v = t[j]; u = t[j]; sub(/^[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
        secs += v * (u == "ms" ? 0.001 : u == "s" ? 1 : u == "min" ? 60 : 3600); j--
      }
      step = t[1]; for (m = 2; m <= j; m++) step = step "_" t[m]
      printf "%s.%s %.3f\n", phase, step, secs
    }
  }' >> "$WORK/steps.$1"
}
# breakdown NAME: the mean of each step over the runs, and "other".
breakdown() {
  awk -v runs="$RUNS" -v wall="$(awk '{ s += $1 } END { print s / NR }' "$WORK/times.$1")" '
    !($1 in sum) { order[++n] = $1 } { sum[$1] += $2 }
    END { line = ""; used = 0
          for (i = 1; i <= n; i++) { v = sum[order[i]] / runs; used += v
                                     line = line sprintf("%s %.2fs, ", order[i], v) }
          printf "%sother %.2fs", line, wall - used }' "$WORK/steps.$1"
}
median() {
  sort -n "$WORK/$1" | awk '{ v[NR] = $1 } END {
    if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
dropdb_if() { PGOPTIONS="-c client_min_messages=warning" "$PGBIN/dropdb" --maintenance-db="$URL" --if-exists "$1"; }
create() { measure "create_$1" "$WORK/$1" "$BIN" --database-url "$URL_BENCH" --verbose backup create; }
restore() { dropdb_if "bench_$1"
            measure "restore_$1" "$WORK/$1" "$BIN" --database-url "$URL_BENCH" --verbose restore --latest \
              --into "bench_$1"; }

run=1
while [ "$run" -le "$RUNS" ]; do
  echo "== run $run of $RUNS"
  if [ $((run % 2)) -eq 1 ]; then create local; create remote; else create remote; create local; fi
  rm -rf "$WORK/cache"  # the restore downloads everything
  if [ $((run % 2)) -eq 1 ]; then restore local; restore remote; else restore remote; restore local; fi
  run=$((run + 1))
done
echo "   catalog sizes: local $(du -sh "$WORK/local/backups" | cut -f1), s3rver $(du -sh "$WORK/s3data" | cut -f1)"

echo "== results (wall seconds and peak RSS, median of $RUNS run(s); scale $SCALE, $JOBS jobs)"
for op in create restore; do
  l=$(median "times.${op}_local"); r=$(median "times.${op}_remote")
  lr=$(median "rss.${op}_local"); rr=$(median "rss.${op}_remote")
  awk -v op="$op" -v l="$l" -v r="$r" -v lr="$lr" -v rr="$rr" 'BEGIN {
    ratio = r / l
    printf "   %-8s local %7.2fs (%4d MB)  s3 %7.2fs (%4d MB)  s3/local %.3fx (<= 1.25x: %s; RSS < 200 MB: %s)\n",
      op, l, lr / 1024, r, rr / 1024, ratio, (ratio <= 1.25 ? "met" : "MISSED"), (rr < 204800 ? "met" : "MISSED") }'
done
echo "== breakdown (mean seconds per step over $RUNS run(s))"
for name in create_local create_remote restore_local restore_remote; do
  printf "   %-15s %s\n" "$name" "$(breakdown "$name")"
done
