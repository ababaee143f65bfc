#!/usr/bin/env bash
# Removes every user-code container the sandbox service left (by its label).
set -euo pipefail
ids=$(docker ps -aq --filter label=botmoon.sandbox=1)
[ -z "$ids" ] || docker rm -f $ids >/dev/null
