// Device enumeration, --device/--dtype parsing, thread configuration.
#include "atelier/device.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#ifdef ATELIER_HAVE_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <cuda_runtime_api.h>
#endif

namespace atelier {

bool cudaAvailable() { return torch::cuda::is_available(); }

std::vector<DeviceInfo> listDevices() {
  std::vector<DeviceInfo> out;
  out.push_back({"cpu", "CPU (" + std::to_string(at::get_num_threads()) + " threads)", 0, 0});
  const int64_t n = cudaAvailable() ? static_cast<int64_t>(torch::cuda::device_count()) : 0;
  for (int64_t i = 0; i < n; ++i) {
    DeviceInfo d{"cuda:" + std::to_string(i), "CUDA device " + std::to_string(i), 0, 0};
#ifdef ATELIER_HAVE_CUDA
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, static_cast<int>(i)) == cudaSuccess) {
      d.name = prop.name;
      d.total_bytes = static_cast<int64_t>(prop.totalGlobalMem);
    }
    int prev = 0;
    size_t free_b = 0, total_b = 0;
    if (cudaGetDevice(&prev) == cudaSuccess && cudaSetDevice(static_cast<int>(i)) == cudaSuccess &&
        cudaMemGetInfo(&free_b, &total_b) == cudaSuccess) {
      d.free_bytes = static_cast<int64_t>(free_b);
      cudaSetDevice(prev);
    }
#endif
    out.push_back(d);
  }
  return out;
}

Result<c10::Device> parseDevice(const std::string& text) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  if (t == "auto") { return cudaAvailable() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU); }
  if (t == "cpu") { return c10::Device(c10::kCPU); }
  if (t.rfind("cuda", 0) == 0) {
    int idx = 0;
    if (t.size() > 4) {
      if (t[4] != ':' || t.size() == 5) { return Status::InvalidArgument("--device '" + text + "': expected cuda:N"); }
      char* end = nullptr;
      idx = static_cast<int>(std::strtol(t.c_str() + 5, &end, 10));
      if (*end != '\0' || idx < 0) { return Status::InvalidArgument("--device '" + text + "': bad index"); }
    }
    if (!cudaAvailable()) {
      return Status::Unsupported("--device " + text + ": this build/machine has no CUDA device (LibTorch " +
                                 libtorchVersion() + ")");
    }
    if (idx >= static_cast<int>(torch::cuda::device_count())) {
      return Status::InvalidArgument("--device " + text + ": only " + std::to_string(torch::cuda::device_count()) +
                                     " CUDA device(s)");
    }
    return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(idx));
  }
  return Status::InvalidArgument("--device '" + text + "': expected cpu, cuda, cuda:N or auto");
}

Result<c10::ScalarType> parseDType(const std::string& text) {
  if (text == "fp32" || text == "float32" || text == "float") { return c10::kFloat; }
  if (text == "fp16" || text == "float16" || text == "half") { return c10::kHalf; }
  if (text == "bf16" || text == "bfloat16") { return c10::kBFloat16; }
  return Status::InvalidArgument("--dtype '" + text + "': expected fp32, fp16 or bf16");
}

const char* dtypeName(c10::ScalarType t) {
  switch (t) {
    case c10::kFloat: return "fp32";
    case c10::kHalf: return "fp16";
    case c10::kBFloat16: return "bf16";
    default: return c10::toString(t);
  }
}

bool tuneCpuAllocator() {
#if defined(__GLIBC__)
  static const bool applied = [] {
    if (const char* env = std::getenv("ATELIER_MALLOC_TUNING"); env && std::string(env) == "0") return false;
    // A fixed mmap threshold also stops glibc's dynamic threshold from moving; the trim threshold and top pad keep
    // freed heap memory for the next batch instead of unmapping it.
    return mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 512 << 20) == 1 &&
           mallopt(M_TOP_PAD, 64 << 20) == 1;
  }();
  return applied;
#else
  return false;
#endif
}

int configureThreads(int n) {
  tuneCpuAllocator();
  if (n <= 0) {
    if (const char* env = std::getenv("ATELIER_THREADS")) { n = std::atoi(env); }
  }
  if (n <= 0) { n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }
  at::set_num_threads(n);
  return n;
}

std::string libtorchVersion() { return TORCH_VERSION; }

int64_t deviceAllocatedBytes(const c10::Device& device) {
#ifdef ATELIER_HAVE_CUDA
  if (device.is_cuda()) {
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index() < 0 ? 0 : device.index());
    return stats.allocated_bytes[0].current;
  }
#endif
  return 0;
}

void synchronize(const c10::Device& device) {
#ifdef ATELIER_HAVE_CUDA
  if (device.is_cuda()) { c10::cuda::device_synchronize(); }
#endif
}

}  // namespace atelier
