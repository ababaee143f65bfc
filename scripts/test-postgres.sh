#!/usr/bin/env bash
# The tests start throwaway PostgreSQL clusters (libs/botmoon-testing/botmoon_testing/postgres.py): install
# Debian's server when it is missing.
set -euo pipefail
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && exit 0
echo "installing Debian's postgresql for the tests" >&2
export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" = 0 ]; then apt-get install -y -q postgresql >&2; else sudo apt-get install -y -q postgresql >&2; fi
