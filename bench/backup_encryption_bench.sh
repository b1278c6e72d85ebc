#!/bin/sh
# What encryption at rest costs a backup and a restore.
#
#   bench/backup_encryption_bench.sh [build/safe-migrate]
#   bench/backup_encryption_bench.sh round CONFIG URL [build/safe-migrate]
#
# Starts a throwaway cluster (safe-migrate sandbox), generates a pgbench
# database (scale $SCALE, default 10: about 150 MB) and times, alternately,
# RUNS rounds (default 5) of: backup create, then restore --latest --into a new
# database (which verifies the backup first), then dropping that database and
# the backup, once without [backup] encryption_key and once with one. Prints
# each side's median wall time and largest peak RSS (GNU time) and the ratio.
# `round` runs one such round against an existing database (for other timers).
# Needs: GNU time (/usr/bin/time), openssl, PostgreSQL server binaries. Run by
# hand; not part of CI.
set -eu

round() {  # config, url, binary: one backup + restore round, then cleanup
  config=$1 url=$2 bin=$3
  into="enc_bench_$$"
  "$bin" --config "$config" --database-url "$url" --quiet backup create >/dev/null
  "$bin" --config "$config" --database-url "$url" --quiet restore --latest --into "$into" >/dev/null
  catalog=$(dirname "$config")/backups
  rm -rf "${catalog:?}"/*
  maintenance=$(printf '%s\n' "$url" | sed "s|/[A-Za-z0-9_]*?|/postgres?|")
  "${PGBIN:-/usr/lib/postgresql/15/bin}/psql" -X -q -d "$maintenance" -c "DROP DATABASE $into"
}

if [ "${1:-}" = round ]; then
  round "$2" "$3" "$(realpath "${4:-build/safe-migrate}")"
  exit 0
fi

BIN=$(realpath "${1:-build/safe-migrate}")
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
SCALE=${SCALE:-10}
RUNS=${RUNS:-5}
WORK=$(mktemp -d /tmp/sm-encryption-bench.XXXXXX)
STATE="$WORK/sandbox.json"
cleanup() {
  "$BIN" sandbox stop --state "$STATE" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$BIN" sandbox start --state "$STATE" >/dev/null
URL=$("$BIN" sandbox url --state "$STATE")
URL_BENCH=$(printf '%s\n' "$URL" | sed "s|/postgres?|/bench?|")
"$PGBIN/createdb" --maintenance-db="$URL" bench
"$PGBIN/pgbench" -i -q -s "$SCALE" "$URL_BENCH" 2>&1 | tail -n 1
echo "database size: $("$PGBIN/psql" -X -At -d "$URL_BENCH" -c "SELECT pg_size_pretty(pg_database_size('bench'))")"

mkdir -p "$WORK/plain" "$WORK/encrypted"
printf '[backup]\ndir = "backups"\n' >"$WORK/plain/safe-migrate.toml"
printf '[backup]\ndir = "backups"\nencryption_key = "${BENCH_BACKUP_KEY}"\n' \
  >"$WORK/encrypted/safe-migrate.toml"
BENCH_BACKUP_KEY=$(openssl rand -base64 32)
export BENCH_BACKUP_KEY

measure() {  # side, run: appends "wall_seconds max_rss_kb" to $WORK/side.times
  /usr/bin/time -f '%e %M' -o "$WORK/time.out" "$0" round "$WORK/$1/safe-migrate.toml" \
    "$URL_BENCH" "$BIN"
  cat "$WORK/time.out" >>"$WORK/$1.times"
}
i=0
while [ "$i" -lt "$RUNS" ]; do
  measure plain
  measure encrypted
  i=$((i + 1))
done
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for side in plain encrypted; do
  wall=$(cut -d' ' -f1 "$WORK/$side.times" | median)
  rss=$(cut -d' ' -f2 "$WORK/$side.times" | sort -n | tail -n 1)
  echo "$side: median ${wall}s per backup + restore, peak RSS ${rss} kB (largest process)"
  eval "wall_$side=$wall"
done
awk -v a="$wall_encrypted" -v b="$wall_plain" 'BEGIN { printf "encrypted / plain: %.2fx\n", a / b }'
