#!/usr/bin/env bash
# Builds core + pipelines + tests + benchmarks on a CUDA machine with pip's PyTorch (no Qt, no OpenCV),
# runs the gpu-labelled tests (and the unit tests) and writes benchmark JSON into RESULTS_DIR.
# Usage: scripts/gpu-build.sh RESULTS_DIR [bench-filter-regex]
# Needs: python3 with torch (CUDA), cmake, ninja, g++, GoogleTest, nlohmann-json. CLI11 headers are taken from
# $CLI11_INCLUDE_DIR when no CLI11 package is installed (copy /usr/include/CLI from Debian's libcli11-dev).
set -uo pipefail
cd "$(dirname "$0")/.."
RESULTS=${1:?usage: scripts/gpu-build.sh RESULTS_DIR}
FILTER=${2:-.}
mkdir -p "$RESULTS"
BUILD=${ATELIER_BUILD_DIR:-build-gpu}
TORCH_PREFIX=$(python3 -c "import torch;print(torch.utils.cmake_prefix_path)")
CUDA_ARCH=${ATELIER_CUDA_ARCH:-90}
set -e
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$TORCH_PREFIX" \
  -DATELIER_BUILD_GUI=OFF -DATELIER_WITH_OPENCV=OFF -DTORCH_CUDA_ARCH_LIST="9.0" \
  -DCMAKE_CUDA_ARCHITECTURES="$CUDA_ARCH" ${CLI11_INCLUDE_DIR:+-DCLI11_INCLUDE_DIR=$CLI11_INCLUDE_DIR} \
  ${ATELIER_SHARED_DIR:+-DATELIER_SHARED_DIR=$ATELIER_SHARED_DIR} \
  ${ATELIER_CMAKE_ARGS:-} 2>&1 | tail -n 20
set +e
# -k 0: keep building the other targets when one fails, so the rest can still be measured.
cmake --build "$BUILD" -j "$(nproc)" -- -k 0 2>&1 | grep -E "error|FAILED|warning: unused" | head -n 60
"$BUILD/app/atelier-cli" info --json > "$RESULTS/info.json"
cat "$RESULTS/info.json"
(cd "$BUILD" && ctest --output-on-failure -L 'gpu|unit|shared' 2>&1 | tee "$RESULTS/ctest.log" | tail -n 40)
for b in "$BUILD"/bench/bench_*; do
  name=$(basename "$b")
  [[ "$name" =~ $FILTER ]] || continue
  echo "== $name"
  timeout "${ATELIER_BENCH_TIMEOUT:-240}" "$b" --device cuda --out "$RESULTS/$name.json" 2>&1 | tail -n 30
done
