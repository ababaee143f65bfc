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
# The sandbox pool's Docker engine (deploy/k8s): it carries the runner image, loaded into the engine at pod start.
engine=build/engine
mkdir -p "$engine" && cp deploy/k8s/engine/engine.json deploy/k8s/engine/*.sh "$engine/"
docker tag "botmoon/sandbox-runner:$tag" botmoon/sandbox-runner:bundled
docker save botmoon/sandbox-runner:bundled -o "$engine/runner-image.tar" && chmod 0644 "$engine/runner-image.tar"
docker build -q --build-arg BASE_IMAGE="$base" -t "botmoon/sandbox-engine:$tag" -f deploy/k8s/engine/Dockerfile "$engine" >/dev/null
echo "built botmoon/sandbox-engine:$tag"
# PostgreSQL: compose DB=postgres and the Kubernetes dev overlay's StatefulSet.
BASE_IMAGE="$base" IMAGE_TAG="$tag" scripts/postgres-image.sh
