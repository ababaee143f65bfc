#!/usr/bin/env bash
# Generates the Python stubs of proto/ into a package dir; with --check, fails on any difference.
set -euo pipefail
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
dest="$1"
python="${PYTHON:-.venv/bin/python}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
mapfile -t protos < <(find proto/botmoon -name '*.proto' | sort)
"$python" -m grpc_tools.protoc -I proto --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" "${protos[@]}"
if [ "$check" = 1 ]; then
  if ! diff -r -x __pycache__ -x '*.egg-info' -x pyproject.toml "$out/botmoon" "$dest/botmoon"; then
    echo "generated stubs are stale: run 'make proto' and commit the result" >&2
    exit 1
  fi
  echo "stubs are fresh"
else
  rm -rf "$dest/botmoon"
  cp -r "$out/botmoon" "$dest/botmoon"
  echo "stubs written to $dest/botmoon"
fi
