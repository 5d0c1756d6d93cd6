#!/usr/bin/env bash
# Configures (once) and builds Atelier in Release into ${ATELIER_BUILD_DIR:-build}. Extra args: targets.
# Environment: ATELIER_BUILD_GUI=ON|OFF (default ON), ATELIER_JOBS (default: cores), ATELIER_CMAKE_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${ATELIER_BUILD_DIR:-build}
GUI=${ATELIER_BUILD_GUI:-ON}
JOBS=${ATELIER_JOBS:-$(nproc)}
if [ ! -f "$BUILD/build.ninja" ]; then
  # shellcheck disable=SC2086
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DATELIER_BUILD_GUI="$GUI" ${ATELIER_CMAKE_ARGS:-}
fi
if [ $# -gt 0 ]; then
  cmake --build "$BUILD" -j "$JOBS" --target "$@"
else
  cmake --build "$BUILD" -j "$JOBS"
fi
