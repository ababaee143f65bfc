#!/usr/bin/env bash
# Removes every user-code container the compose stack's sandbox service left (by its pool label).
set -euo pipefail
ids=$(docker ps -aq --filter label=botmoon.sandbox=1 --filter "label=botmoon.sandbox.pool=${SANDBOX_POOL_NAME:-compose}")
[ -z "$ids" ] || docker rm -f $ids >/dev/null
