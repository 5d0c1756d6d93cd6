#!/usr/bin/env bash
# One-shot GPU check for a lent CUDA machine (pip PyTorch, no Qt/OpenCV): build + gpu/unit/shared tests, then the
# benchmarks in priority order. Everything lands in OUT_DIR; each step has its own time limit so one slow step
# cannot take the others' results with it.
# Usage: scripts/gpu-check.sh OUT_DIR [phases]   phases: comma list of build,sd,ctta,sr,edit (default: all)
# Shared data is read from $ATELIER_SHARED_DIR (default ./gshared: the needed parts of ../shared carried along).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: scripts/gpu-check.sh OUT_DIR [phases]}
PHASES=${2:-build,sd,ctta,sr,edit}
mkdir -p "$OUT"
export ATELIER_SHARED_DIR=${ATELIER_SHARED_DIR:-$PWD/gshared}
export CLI11_INCLUDE_DIR=${CLI11_INCLUDE_DIR:-$PWD/.gpu/cli11}
B=${ATELIER_BUILD_DIR:-build-gpu}
has() { [[ ",$PHASES," == *",$1,"* ]]; }
step() { local t=$1; shift; echo "== $* (limit ${t}s)"; timeout "$t" "$@"; echo "== rc=$?"; }
nvidia-smi -L
if has build; then
  scripts/gpu-build.sh "$OUT" '^$' > "$OUT/build.log" 2>&1
  grep -E "error|FAILED|tests passed|tests failed|Failed|SEGFAULT" "$OUT/build.log" | head -n 40
fi
if has sd; then
  step 150 "$B/bench/bench_sd" --device cuda --dtype fp16 --configs sd15,sd21 --iters 20 \
    --out "$OUT/bench_sd_cuda_fp16.json" > "$OUT/bench_sd.log" 2>&1
fi
if has sr; then
  step 60 "$B/bench/bench_sr" --device cuda --models esrgan-slim --scales 4 --dtypes fp16,fp32 --tile 256 --repeat 5 \
    --out "$OUT/bench_sr_cuda.json" 2>&1 | tail -n 12
fi
if has ctta; then   # full protocol: 10,000 images per corruption, batch 200; fast methods first
  step "${CTTA_T1:-170}" "$B/bench/bench_ctta" --device cuda --n "${CTTA_N:-10000}" --batch 200 \
    --methods "${CTTA_M1:-source,bn,tent,cotta}" --out "$OUT/bench_ctta_cuda_a.json" 2>&1 | tail -n 12
  step "${CTTA_T2:-110}" "$B/bench/bench_ctta" --device cuda --n "${CTTA_N:-10000}" --batch 200 \
    --methods "${CTTA_M2:-vida,eata,vdp}" --out "$OUT/bench_ctta_cuda_b.json" 2>&1 | tail -n 12
  # Speed (issue 4): one Tent step on ResNet-50 224² b1/b64 and WRN-16-4 b200 (random weights; cost only)
  step 60 "$B/bench/bench_ctta" --device cuda --step-latency resnet50:224:1,resnet50:224:64,wrn16_4:32:200 \
    --methods "${CTTA_LAT_M:-tent,source}" --iters 20 --out "$OUT/bench_ctta_step_latency_cuda.json" 2>&1 | tail -n 8
  # Stability: teacher-student methods over 10 cycles at N = 1000 (Tent/EATA were measured on CPU)
  step "${CTTA_T3:-240}" "$B/bench/bench_ctta" --device cuda --n 1000 --batch 200 --cycles 10 \
    --methods "${CTTA_M3:-cotta,vida,vdp}" --out "$OUT/bench_ctta_cuda_cycles10.json" 2>&1 | tail -n 12
fi
if has edit; then
  step 60 "$B/bench/bench_edit" --model "$ATELIER_SHARED_DIR/golden/sd15-tiny" --random-sd15 --device cuda \
    --dtype fp16 --steps 20 --size 512 --out "$OUT/bench_edit_sd15_cuda.json" 2>&1 | tail -n 12
fi
ls -la "$OUT"
