#!/usr/bin/env bash
# Builds, on the host, the wheels each image installs: build/wheels/<image>/{deps,own}.
# Own wheels are reproducible (SOURCE_DATE_EPOCH), so unchanged code keeps the image cache warm.
set -euo pipefail
pip="${PIP:-.venv/bin/pip}"
out="${WHEELS_DIR:-build/wheels}"
export SOURCE_DATE_EPOCH=315532800
declare -A images=(
  [runner]="./services/sandbox/runner[image]"
  [sandbox]="services/sandbox"
  [gateway]="services/gateway"
  [marketdata]="services/marketdata"
  [backtest]="services/backtest"
)
local_pkgs=(libs/botmoon-proto libs/botmoon-common libs/botmoon-client services/sandbox/runner services/sandbox services/gateway services/marketdata services/backtest)
mkdir -p "$out/cache"
# setuptools' build/ directories keep files since deleted from the sources; a wheel built over them ships them.
for pkg in "${local_pkgs[@]}"; do rm -rf "$pkg/build"; done
rm -rf "$out/own-all" "$out"/cache/botmoon_*.whl
# Our own packages first, so dependency resolution finds them as wheels.
"$pip" wheel -q --no-deps --no-build-isolation -w "$out/own-all" "${local_pkgs[@]}"
for image in "${!images[@]}"; do
  dir="$out/$image"
  rm -rf "$dir" && mkdir -p "$dir/deps" "$dir/own"
  args=(wheel -q --no-build-isolation -c requirements/constraints.txt --find-links "$out/own-all"
        --find-links "$out/cache" -w "$dir/deps" "${images[$image]}")
  # Offline from the cache when it has everything; otherwise fetch what is missing.
  "$pip" "${args[@]}" --no-index 2>/dev/null || "$pip" "${args[@]}"
  mv "$dir"/deps/botmoon_*.whl "$dir/own/"
  cp -n "$dir"/deps/*.whl "$out/cache/" 2>/dev/null || true
done
