#!/usr/bin/env bash
# One-shot GPU check for a lent CUDA machine (pip PyTorch, no Qt/OpenCV): build + gpu/unit/shared tests, then the
# benchmarks in priority order (SD UNet latency, CTTA full protocol, SR, editing). Everything lands in OUT_DIR.
# Usage: scripts/gpu-check.sh OUT_DIR [phases]   phases: comma list of build,sd,ctta,sr,edit (default: all)
# Shared data is read from $ATELIER_SHARED_DIR (default ./gshared, a copy of ../shared's needed parts).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: scripts/gpu-check.sh OUT_DIR [phases]}
PHASES=${2:-build,sd,ctta,sr,edit}
mkdir -p "$OUT"
export ATELIER_SHARED_DIR=${ATELIER_SHARED_DIR:-$PWD/gshared}
export CLI11_INCLUDE_DIR=${CLI11_INCLUDE_DIR:-$PWD/.gpu/cli11}
B=${ATELIER_BUILD_DIR:-build-gpu}
has() { [[ ",$PHASES," == *",$1,"* ]]; }
nvidia-smi -L
if has build; then
  scripts/gpu-build.sh "$OUT" '^$' 2>&1 | tee "$OUT/build.log" | tail -n 80
fi
if has sd; then
  timeout 200 "$B/bench/bench_sd" --device cuda --dtype fp16 --configs sd15,sd21 --iters 20 \
    --out "$OUT/bench_sd_cuda_fp16.json" 2>&1 | tail -n 40
fi
if has ctta; then
  timeout "${CTTA_TIMEOUT:-300}" "$B/bench/bench_ctta" --device cuda --n "${CTTA_N:-10000}" --batch 200 \
    --methods "${CTTA_METHODS:-source,bn,tent,eata,cotta,vida,vdp}" --out "$OUT/bench_ctta_cuda.json" 2>&1 | tail -n 40
fi
if has sr; then
  timeout 120 "$B/bench/bench_sr" --device cuda --dtypes fp16,fp32 --scales 4 --out "$OUT/bench_sr_cuda.json" 2>&1 | tail -n 20
fi
if has edit; then
  timeout 120 "$B/bench/bench_edit" --device cuda --dtype fp16 --out "$OUT/bench_edit_cuda.json" 2>&1 | tail -n 20
fi
ls -la "$OUT"
