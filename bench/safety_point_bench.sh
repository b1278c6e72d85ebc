#!/bin/sh
# Pre-deploy safety time against database size: a verified pg_dump backup
# ([backup] engine = "pg_dump", the default) against a pgBackRest restore point
# ([backup] engine = "pgbackrest").
#
#   bench/safety_point_bench.sh [build/safe-migrate]
#
# Starts a throwaway cluster (safe-migrate sandbox) with WAL archived by
# pgBackRest into a repository in the work directory (stanza "main", one full
# backup taken before the data is generated), then for each size generates the
# pgbench database at that size and times `safe-migrate execute --backup` of a
# one-statement migration under each engine. The migration itself takes
# milliseconds; the same execute without --backup is measured too and
# subtracted, so the figure is the safety point's alone (pg_dump + checksums +
# verification; or pgbackrest check and info + pg_create_restore_point +
# pg_switch_wal). Expected: pg_dump grows linearly with size; the restore point
# stays under 2 s at every size.
#
# Environment: SIZES (GB, default "0.1 1"; add 5 when disk and time allow:
# each GB needs about 3 GB free for the data, its WAL archive and the dump),
# PGBIN (default /usr/lib/postgresql/15/bin). Needs pgbackrest, GNU time. Run
# as root (the server and pgBackRest then run as postgres) or as a normal user.
# Run by hand; not part of CI.
set -eu
BIN=$(realpath "${1:-build/safe-migrate}")
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
SIZES=${SIZES:-"0.1 1"}
command -v pgbackrest >/dev/null || { echo "safety_point_bench: pgbackrest is not installed" >&2; exit 1; }
WORK=$(mktemp -d /tmp/sm-safety-bench.XXXXXX)
chmod 755 "$WORK"
STATE="$WORK/sandbox.json"
cleanup() {
  "$BIN" sandbox stop --state "$STATE" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== free disk space (work dir $WORK)"
df -h "$WORK" | sed 's/^/   /'

echo "== starting the sandbox with WAL archived by pgBackRest"
"$BIN" sandbox start --state "$STATE" >/dev/null
URL=$("$BIN" sandbox url --state "$STATE")
ROOT=$(sed -n 's/.*"root": "\(.*\)".*/\1/p' "$STATE")
DATA="$ROOT/data"
PORT=$(sed -n 's/.*"port": \([0-9]*\).*/\1/p' "$STATE")
OWNER=$(stat -c %U "$DATA")
as_owner() {
  if [ "$(id -un)" = "$OWNER" ]; then "$@"; else runuser -u "$OWNER" -- "$@"; fi
}
mkdir -p "$WORK/repo" "$WORK/log" "$WORK/lock" "$WORK/spool" "$WORK/project/migrations"
cat > "$WORK/pgbackrest.conf" <<CONF
[global]
repo1-path=$WORK/repo
log-path=$WORK/log
lock-path=$WORK/lock
spool-path=$WORK/spool
log-level-console=warn
start-fast=y
repo1-retention-full=9999
[main]
pg1-path=$DATA
pg1-port=$PORT
pg1-socket-path=$ROOT
CONF
chown -R "$OWNER" "$WORK/repo" "$WORK/log" "$WORK/lock" "$WORK/spool" "$WORK/pgbackrest.conf"
cat >> "$DATA/postgresql.conf" <<CONF
wal_level = replica
archive_mode = on
full_page_writes = on
archive_command = 'pgbackrest --config=$WORK/pgbackrest.conf --stanza=main archive-push %p'
CONF
{ echo "local all postgres peer"; cat "$DATA/pg_hba.conf"; } > "$WORK/hba" && cat "$WORK/hba" > "$DATA/pg_hba.conf"
as_owner "$PGBIN/pg_ctl" restart -D "$DATA" -l "$ROOT/server.log" -w -m fast >/dev/null
as_owner pgbackrest --config="$WORK/pgbackrest.conf" --stanza=main stanza-create
as_owner pgbackrest --config="$WORK/pgbackrest.conf" --stanza=main backup --type=full
echo "   $("$PGBIN/postgres" --version), $(nproc) cores, $(pgbackrest version)"

url_of() { printf '%s\n' "$URL" | sed "s|/postgres?|/$1?|"; }
psql_q() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$(url_of "$1")" -c "$2"; }
"$PGBIN/createdb" --maintenance-db="$URL" bench

config() {  # engine ("none": the pg_dump config, and execute without --backup)
  cat > "$WORK/project/safe-migrate.toml" <<CONF
migrations_dir = "migrations"
[backup]
dir = "$WORK/catalog-$1"
engine = "$( [ "$1" = none ] && echo pg_dump || echo "$1")"
stanza = "main"
pgbackrest_config = "$WORK/pgbackrest.conf"
jobs = 2
CONF
}
N=0
measure() {  # engine size: prints and records the seconds of execute --backup
  N=$((N + 1))
  echo "SELECT 1;" > "$WORK/project/migrations/${N}_noop.up.sql"
  config "$1"
  psql_q postgres "CHECKPOINT"
  sync
  if ! /usr/bin/time -f "%e" -o "$WORK/time" "$BIN" --config "$WORK/project/safe-migrate.toml" \
      --database-url "$(url_of bench)" execute $( [ "$1" = none ] || echo --backup) >"$WORK/out" 2>&1; then
    echo "!! execute --backup ($1) failed:" >&2; sed 's/^/   /' "$WORK/out" >&2; exit 1
  fi
  printf "   %-12s %6s GB %8.2fs\n" "$1" "$2" "$(tail -n 1 "$WORK/time")"
  echo "$2 $1 $(tail -n 1 "$WORK/time")" >> "$WORK/results"
}

for size in $SIZES; do
  scale=$(awk -v s="$size" 'BEGIN { v = int(s * 68 + 0.5); print (v < 1 ? 1 : v) }')
  echo "== $size GB: pgbench -i -s $scale"
  "$PGBIN/pgbench" -i -q -s "$scale" "$(url_of bench)" 2>&1 | tail -n 1 | sed 's/^/   /'
  psql_q bench "VACUUM ANALYZE"
  # Let the WAL archive catch up with the data load first: a deploy runs on a
  # server whose archiving keeps up, and pgbackrest check waits for the segment
  # it switches to, behind any backlog.
  seg=$(psql_q postgres "SELECT pg_walfile_name(pg_switch_wal())")
  waited=0
  until [ "$(psql_q postgres "SELECT coalesce(last_archived_wal >= '$seg', false) FROM pg_stat_archiver")" = t ]; do
    sleep 1; waited=$((waited + 1))
  done
  echo "   WAL archive caught up after ${waited}s"
  echo "   database size: $(psql_q bench "SELECT pg_size_pretty(pg_database_size('bench'))")"
  measure none "$size"
  measure pg_dump "$size"
  measure pgbackrest "$size"
  rm -rf "$WORK/catalog-pg_dump"  # room for the next size's dump
done

echo "== pre-deploy safety time: execute --backup minus execute without a backup"
echo "   (the same one-statement migration; 'execute' is that baseline)"
printf "   %-8s %10s %12s %12s\n" "GB" "execute" "pg_dump" "pgbackrest"
awk '{ t[$1 " " $2] = $3; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
     END { for (i = 1; i <= n; i++) { g = order[i]; b = t[g " none"];
       printf "   %-8s %9.2fs %11.2fs %11.2fs\n", g, b, t[g " pg_dump"] - b, t[g " pgbackrest"] - b } }' "$WORK/results"
