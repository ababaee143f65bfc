#!/bin/sh
# The dedicated engine of the compose stack (deploy/compose/compose.yaml, service `engine`): dockerd with the
# given flags (its only listeners), then the runner image loaded into it (load-runner.sh). Runs under
# docker-init, which reaps; a TERM stops dockerd, which stops its containers.
set -eu
/usr/sbin/dockerd "$@" &
dockerd=$!
trap 'kill -TERM "$dockerd" 2>/dev/null' TERM INT
DOCKER_HOST="${DOCKER_HOST:-unix:///run/dind/docker.sock}" /opt/botmoon/load-runner.sh ${RUNNER_TAGS:-}
wait "$dockerd" || true
wait "$dockerd"
