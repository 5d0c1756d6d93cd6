#!/usr/bin/env bash
# Installs what is missing, builds (Release, reusing build/), and runs every CI test: unit, shared, gui.
# Exits non-zero on any failure. Extra arguments go to ctest (e.g. ./test.sh -R test_core).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
scripts/build.sh
BUILD=${ATELIER_BUILD_DIR:-build}
cd "$BUILD"
ctest --output-on-failure -L 'unit|shared|gui' "$@"
