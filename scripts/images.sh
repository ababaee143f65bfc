#!/usr/bin/env bash
# Builds every image from the host-built wheels, on the base that base-image.sh picks.
set -euo pipefail
base="${BASE_IMAGE:-$(scripts/base-image.sh)}"
tag="${IMAGE_TAG:-latest}"
build() {  # image dockerfile
  docker build -q --build-arg BASE_IMAGE="$base" -t "botmoon/$1:$tag" -f "$2" build/wheels/"$3" >/dev/null
  echo "built botmoon/$1:$tag"
}
build sandbox-runner services/sandbox/runner/Dockerfile runner
build sandbox services/sandbox/Dockerfile sandbox
build gateway services/gateway/Dockerfile gateway
build marketdata services/marketdata/Dockerfile marketdata
build backtest services/backtest/Dockerfile backtest
