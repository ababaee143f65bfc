#!/usr/bin/env bash
# Removes every user-code container a compose stack's sandbox service left: those labelled with its pool name.
set -euo pipefail
pool="${1:?usage: remove-sandboxes.sh POOL_NAME}"
ids=$(docker ps -aq --filter label=botmoon.sandbox=1 --filter "label=botmoon.sandbox.pool=${pool}")
[ -z "$ids" ] || docker rm -f $ids >/dev/null
