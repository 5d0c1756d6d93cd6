#!/usr/bin/env bash
# Sanitizer builds and the fuzzer, run by hand before larger merges (not in CI).
#   scripts/sanitize.sh address    ASan build of core + io tests, run them
#   scripts/sanitize.sh undefined  UBSan, same tests
#   scripts/sanitize.sh thread     TSan build of the runner tests (core), run them
#   scripts/sanitize.sh fuzz [SECONDS]  libFuzzer on the safetensors reader (clang), seeded with valid files
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: scripts/sanitize.sh address|undefined|thread|fuzz}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}   # LibTorch's static initialisers leak by design
case "$mode" in
  address|undefined|thread)
    b=build-$mode
    cmake -S . -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATELIER_BUILD_GUI=OFF \
      -DATELIER_SANITIZE="$mode" -DATELIER_BUILD_BENCH=OFF
    targets=(test_core)
    if [ "$mode" != thread ]; then targets+=(test_io); fi
    cmake --build "$b" -j "$(nproc)" --target "${targets[@]}"
    "$b/tests/core/test_core"
    if [ "$mode" != thread ]; then "$b/tests/pipelines/io/test_io"; fi
    ;;
  fuzz)
    b=build-fuzz
    CC=clang CXX=clang++ cmake -S . -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATELIER_BUILD_GUI=OFF \
      -DATELIER_WITH_OPENCV=OFF -DATELIER_BUILD_FUZZ=ON -DATELIER_BUILD_BENCH=OFF
    cmake --build "$b" -j "$(nproc)" --target fuzz_safetensors
    corpus=$b/fuzz-corpus
    mkdir -p "$corpus"
    for f in ../shared/golden/sd15-tiny/text_encoder/model.safetensors ../shared/models/*.check.safetensors; do
      [ -f "$f" ] && head -c 65536 "$f" > "$corpus/$(basename "$f")" || true
    done
    "$b/tests/fuzz_safetensors" -max_total_time="${2:-60}" -max_len=65536 "$corpus"
    ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
