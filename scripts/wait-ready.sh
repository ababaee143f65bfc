#!/usr/bin/env bash
# Waits until a URL answers 2xx, up to a number of seconds.
set -euo pipefail
url="$1"; timeout="${2:-120}"
for _ in $(seq "$timeout"); do
  if curl -fsS -o /dev/null "$url" 2>/dev/null; then exit 0; fi
  sleep 1
done
echo "not ready after ${timeout}s: $url" >&2
exit 1
