#!/bin/sh
# Installs the pinned s3rver (package-lock.json) into tests/s3/node_modules,
# once: the remote-catalog integration tests run this under flock before they
# start it. npm missing is an error (packaging/install-deps.sh installs it).
set -eu
cd "$(dirname "$0")"
if [ -x node_modules/.bin/s3rver ] && cmp -s package-lock.json node_modules/.installed-lock.json; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json node_modules/.installed-lock.json
