#!/bin/sh
# Loads the runner image this engine image carries into the engine at DOCKER_HOST, unless that engine has it
# already (its storage is a volume: a restart loads nothing), then tags it with each argument (e.g. `latest`).
set -eu
tarball=/opt/botmoon/runner-image.tar
image=botmoon/sandbox-runner:bundled
tries=0
until docker version >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -le 600 ] || { echo "load-runner: no engine at ${DOCKER_HOST:-the default socket}" >&2; exit 1; }
  sleep 0.1
done
# The image id the tarball holds: its config's digest (manifest.json: "Config":"<hex>.json").
want="sha256:$(tar -xOf "$tarball" manifest.json | sed -n 's/.*"Config":"\([0-9a-f]*\)\.json".*/\1/p')"
have="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
if [ "$have" = "$want" ]; then
  echo "load-runner: $image already loaded ($want)"
else
  docker load --quiet --input "$tarball"
  docker image prune --force >/dev/null  # the runner it replaced, if any
fi
for tag in "$@"; do docker tag "$image" "botmoon/sandbox-runner:$tag"; done
