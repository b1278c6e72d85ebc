#!/bin/sh
# The demo: start a throwaway PostgreSQL, apply the example project in
# migrations/, show status, roll the last migration back and forward again,
# then stop and remove the cluster.
set -eu
BIN=${1:-build/safe-migrate}
STATE=$(mktemp -d)/sandbox.json
trap '"$BIN" sandbox stop --state "$STATE" >/dev/null 2>&1 || true' EXIT INT TERM

echo "== starting a throwaway PostgreSQL"
DATABASE_URL=$("$BIN" sandbox start --state "$STATE")
export DATABASE_URL

echo "== status before"
"$BIN" status || [ $? -eq 10 ]   # 10: pending migrations

echo "== execute"
"$BIN" execute

echo "== rollback of the newest migration, and execute again"
"$BIN" rollback --steps 1
"$BIN" execute

echo "== status after"
"$BIN" status
echo "== demo finished; the sandbox is removed on exit"
