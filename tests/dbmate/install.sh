#!/bin/sh
# Installs the pinned dbmate (package.json + package-lock.json beside this
# script; the npm package ships dbmate's own Go binary) into DEST/node_modules,
# once: the real-dbmate adopt test runs this under flock (DEST is in the build
# tree, never the source tree). npm missing is an error (packaging/install-deps.sh
# installs it).
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
dest="${1:?usage: install.sh DEST}"
mkdir -p "$dest"
if [ -x "$dest/node_modules/.bin/dbmate" ] &&
   cmp -s "$here/package-lock.json" "$dest/node_modules/.installed-lock.json"; then
  exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$dest/"
cd "$dest"
# npm install, not npm ci: npm writes only this platform's binary package
# (@dbmate/linux-x64) into the lock, which npm ci then refuses as incomplete;
# install keeps to the lock's pinned versions and checksums all the same.
npm install --no-audit --no-fund --loglevel=error
cp package-lock.json node_modules/.installed-lock.json
