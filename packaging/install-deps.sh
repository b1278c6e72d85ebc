#!/bin/sh
# Installs every Debian 12 package safe-migrate needs to build, test, run and
# package (dpkg-dev: dpkg-shlibdeps for the .deb's Depends; file: CPack's look at the binary).
# Idempotent: packages already present are left alone. Runs apt-get as root,
# or through sudo when invoked by a normal user.
set -eu

PACKAGES="
  build-essential cmake pkg-config ninja-build lld
  libpqxx-dev libpq-dev
  libboost-dev libboost-filesystem-dev
  libspdlog-dev libfmt-dev
  libcli11-dev
  catch2
  libpg-query-dev
  libcurl4-openssl-dev libssl-dev
  nlohmann-json3-dev
  libsimdjson-dev
  libtomlplusplus-dev
  libcpp-httplib-dev
  clang-format-14 clang-tidy-14
  dpkg-dev file
  postgresql-15 postgresql-client-15
  python3-botocore openssl util-linux
  pgbackrest
"
# The remote-catalog tests run s3rver (tests/s3, pinned by its package-lock.json):
# Debian's node and npm, unless an npm is already there.
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES="$PACKAGES nodejs npm"
fi

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "install-deps: error: need root or sudo to install:$missing" >&2
  exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
