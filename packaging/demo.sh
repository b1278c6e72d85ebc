#!/bin/sh
# The demo: the release pipeline on the example project in migrations/, against
# a throwaway PostgreSQL that safe-migrate starts and removes itself:
# lint -> plan (the reviewed artifact) -> backup -> execute --plan -> seed
# (with a summary of the data) -> status,
# a rollback of the newest migration and a plain execute to return, then a
# restore of the pre-deploy backup into a side database.
set -eu
BIN=${1:-build/safe-migrate}
WORK=$(mktemp -d)
STATE=$WORK/sandbox.json
trap '"$BIN" sandbox stop --state "$STATE" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT INT TERM

echo "== starting a throwaway PostgreSQL"
DATABASE_URL=$("$BIN" sandbox start --state "$STATE")
export DATABASE_URL

echo "== lint (no database needed)"
"$BIN" lint migrations

echo "== plan: what execute will do, written as an artifact for review"
"$BIN" plan --out "$WORK/plan.json"

echo "== a verified backup before deploying (catalog in $WORK/backups)"
"$BIN" backup create --label pre-deploy --backup-dir "$WORK/backups"
"$BIN" backup verify --latest --full --backup-dir "$WORK/backups"

echo "== execute exactly the reviewed plan"
"$BIN" execute --plan "$WORK/plan.json"

echo "== seed the development dataset (migrations/seeds), and what it holds"
# --env names a declared environment: a config that declares development.
printf '[environments.development]\n' > "$WORK/safe-migrate.toml"
"$BIN" --config "$WORK/safe-migrate.toml" --migrations-dir migrations seed run --env development
psql "$DATABASE_URL" -X -q -P footer=off -c "
SELECT t.name AS \"table\", t.rows FROM (VALUES
    ('users', (SELECT count(*) FROM users)), ('user_profiles', (SELECT count(*) FROM user_profiles)),
    ('categories', (SELECT count(*) FROM categories)), ('products', (SELECT count(*) FROM products)),
    ('product_categories', (SELECT count(*) FROM product_categories)),
    ('orders', (SELECT count(*) FROM orders)), ('order_items', (SELECT count(*) FROM order_items))
) AS t (name, rows);" -c "
SELECT to_char(sum(total_cents) / 100.0, 'FM999,999,990.00') AS \"total revenue (paid, shipped, delivered)\"
FROM orders WHERE status IN ('paid', 'shipped', 'delivered');"

echo "== status"
"$BIN" status

echo "== validate: history against files, the live schema against what the migrations build"
"$BIN" validate

echo "== rollback of the newest migration, and execute again"
"$BIN" rollback --steps 1
"$BIN" execute

echo "== the backup catalog, and the pre-deploy backup restored beside the database"
"$BIN" backup list --backup-dir "$WORK/backups"
"$BIN" restore --latest --into demo_restored --backup-dir "$WORK/backups"

echo "== demo finished; the sandbox is removed on exit"
