// Devices and dtype policy: enumerate CPU/CUDA, parse --device/--dtype, set CPU threads.
#pragma once

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <string>
#include <vector>

#include "atelier/status.h"

namespace atelier {

struct DeviceInfo {
  std::string id;            // "cpu", "cuda:0"
  std::string name;          // "CPU (2 threads)", "NVIDIA H100 80GB HBM3"
  int64_t total_bytes = 0;   // 0 when unknown
  int64_t free_bytes = 0;    // 0 when unknown
};

std::vector<DeviceInfo> listDevices();                            // CPU first, then each CUDA device
bool cudaAvailable();
// "cpu" | "cuda" | "cuda:N" | "auto" (cuda when available, else cpu). Errors for unknown or unavailable devices.
Result<c10::Device> parseDevice(const std::string& text);
// "fp32" | "fp16" | "bf16" (also "float32", "half", "bfloat16").
Result<c10::ScalarType> parseDType(const std::string& text);
const char* dtypeName(c10::ScalarType t);                         // "fp32", "fp16", "bf16", or c10's name
// Sets LibTorch intra-op threads: n > 0, else $ATELIER_THREADS, else hardware threads, and (once per process)
// tunes the CPU allocator (tuneCpuAllocator). Returns the thread count used.
int configureThreads(int n = 0);
// glibc only: keeps freed tensor buffers up to 32 MiB in the heap (fixed mmap threshold, 512 MiB trim threshold)
// instead of returning them to the OS, so per-batch activations stop re-faulting fresh pages (Tent step on CPU:
// ~4x fewer page faults, ~25 % faster). Off with ATELIER_MALLOC_TUNING=0. Returns whether it was applied.
bool tuneCpuAllocator();
std::string libtorchVersion();                                    // "1.13.1"
// Bytes allocated by the caching allocator on `device` (0 for CPU or when unknown).
int64_t deviceAllocatedBytes(const c10::Device& device);
// Blocks until queued work on `device` completes (no-op on CPU). For benchmarks, not hot loops.
void synchronize(const c10::Device& device);

}  // namespace atelier
