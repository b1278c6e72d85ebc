#!/usr/bin/env bash
# Run by hand (it installs dbmate from npm, too slow and networked for the suite):
# applies the dbmate fixture project's first two migrations with the real dbmate,
# then adopts them with safe-migrate and executes the third.
#
#   tests/manual/dbmate_adopt.sh BUILD_DIR DATABASE_URL
#
# DATABASE_URL names an empty database (postgres://user:pass@host:port/db).
# Exit 0 when every step gave what it should.
set -euo pipefail
build=$(cd "$1" && pwd)
url=$2
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/sm-dbmate-XXXXXX)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm install --silent --no-audit --no-fund dbmate@2 >/dev/null)
dbmate="$work/node_modules/.bin/dbmate"
"$dbmate" --version

# The first two migrations, applied by dbmate itself.
mkdir "$work/migrations"
cp "$here/fixtures/layouts/dbmate/"*.sql "$work/migrations/"
mv "$work/migrations/20240103090000_create_posts.sql" "$work/later.sql"
url_dbmate="$url"
case "$url_dbmate" in *\?*) url_dbmate="$url_dbmate&sslmode=disable" ;; *) url_dbmate="$url_dbmate?sslmode=disable" ;; esac
"$dbmate" --url "$url_dbmate" --migrations-dir "$work/migrations" --no-dump-schema up
mv "$work/later.sql" "$work/migrations/20240103090000_create_posts.sql"

sm() { "$build/safe-migrate" --migrations-dir "$work/migrations" --database-url "$url" "$@"; }

# Without adopt, execute stops on "already exists" and says to adopt.
set +e
out=$(sm --layout dbmate execute 2>&1); code=$?
set -e
[ "$code" -eq 1 ] || { echo "execute before adopt: exit $code"; echo "$out"; exit 1; }
grep -q 'safe-migrate adopt --from dbmate' <<<"$out" || { echo "no adopt hint: $out"; exit 1; }

sm adopt --from dbmate --dry-run
sm adopt --from dbmate
set +e
sm --layout dbmate status; code=$?
set -e
[ "$code" -eq 10 ] || { echo "status after adopt: exit $code (want 10: one pending)"; exit 1; }
sm --layout dbmate execute
sm --layout dbmate status
# dbmate sees the third migration as not applied by it; safe-migrate now owns the database.
"$dbmate" --url "$url_dbmate" --migrations-dir "$work/migrations" status || true
echo "ok: dbmate applied 2, safe-migrate adopted them and applied the third"
