#!/usr/bin/env bash
# Prints the base image the Dockerfiles should use: the normal one if it is present or can be
# pulled, otherwise an equivalent built here from Debian's packages (debootstrap, docker import).
set -euo pipefail
default="${BASE_IMAGE_DEFAULT:-python:3.11-slim}"
local_image="${BASE_IMAGE_LOCAL:-botmoon/base:bookworm}"
suite="${DEBIAN_SUITE:-bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if docker image inspect "$default" >/dev/null 2>&1 || timeout 20 docker pull -q "$default" >/dev/null 2>&1; then
  echo "$default"; exit 0
fi
if docker image inspect "$local_image" >/dev/null 2>&1; then
  echo "$local_image"; exit 0
fi
command -v debootstrap >/dev/null || { apt-get install -y -q debootstrap >&2 || sudo apt-get install -y -q debootstrap >&2; }
root="$(mktemp -d)/rootfs"
trap 'rm -rf "$(dirname "$root")"' EXIT
echo "building $local_image with debootstrap ($suite)" >&2
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates "$suite" "$root" "$mirror" >&2
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc "$root"/usr/share/man
tar -C "$root" -c . | docker import -c 'ENV LANG=C.UTF-8' -c 'CMD ["python3"]' - "$local_image" >&2
echo "$local_image"
