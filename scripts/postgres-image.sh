#!/usr/bin/env bash
# Builds botmoon/postgres (Debian's postgresql-15 on the stack's base image) for `make up DB=postgres`.
set -euo pipefail
base="${BASE_IMAGE:-$(scripts/base-image.sh)}"
tag="${IMAGE_TAG:-latest}"
docker build -q --build-arg BASE_IMAGE="$base" -t "botmoon/postgres:$tag" deploy/compose/postgres >/dev/null
echo "built botmoon/postgres:$tag"
