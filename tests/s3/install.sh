#!/bin/sh
# Installs the pinned s3rver (package.json + package-lock.json beside this
# script) into DEST/node_modules, once: the remote-catalog integration tests
# run this under flock (DEST is in the build tree, never the source tree)
# before they start it. npm missing is an error (packaging/install-deps.sh
# installs it).
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
dest="${1:?usage: install.sh DEST}"
mkdir -p "$dest"
if [ -x "$dest/node_modules/.bin/s3rver" ] &&
   cmp -s "$here/package-lock.json" "$dest/node_modules/.installed-lock.json"; then
  exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$dest/"
cd "$dest"
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json node_modules/.installed-lock.json
