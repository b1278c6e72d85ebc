#!/bin/sh
# Installs a test tool pinned by an npm package.json + package-lock.json (in
# PACKAGE_DIR) into DEST/node_modules, once: the tests run this under flock, with
# DEST in the build tree, never the source tree. BIN is the command it provides
# (node_modules/.bin/BIN); when it is there and the installed lock equals the
# pinned one, nothing is done. npm missing is an error (packaging/install-deps.sh
# installs it).
#
# npm install, not npm ci: for a package that ships per-platform binaries
# (dbmate), npm writes only this platform's package into the lock, which npm ci
# then refuses as incomplete; install keeps to the lock's pinned versions and
# checksums all the same.
set -eu
pkg="${1:?usage: npm_install.sh PACKAGE_DIR DEST BIN}"
dest="${2:?usage: npm_install.sh PACKAGE_DIR DEST BIN}"
bin="${3:?usage: npm_install.sh PACKAGE_DIR DEST BIN}"
mkdir -p "$dest"
if [ -x "$dest/node_modules/.bin/$bin" ] &&
   cmp -s "$pkg/package-lock.json" "$dest/node_modules/.installed-lock.json"; then
  exit 0
fi
cp "$pkg/package.json" "$pkg/package-lock.json" "$dest/"
cd "$dest"
npm install --no-audit --no-fund --loglevel=error
cp "$pkg/package-lock.json" node_modules/.installed-lock.json  # what was pinned
