// DeviceZone: CUDA-event timing on GPU builds (resolved lazily by the profiler), wall clock otherwise.
#include "atelier/profiler.h"

#ifdef ATELIER_HAVE_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace atelier {

#ifdef ATELIER_HAVE_CUDA
namespace {
struct EventPair {
  at::cuda::CUDAEvent start{cudaEventDefault};
  at::cuda::CUDAEvent end{cudaEventDefault};
};
}  // namespace
#endif

DeviceZone::DeviceZone(const char* name, c10::Device device, Profiler* p)
    : name_(name), p_(p ? p : Profiler::threadCurrent()) {
#ifdef ATELIER_HAVE_CUDA
  if (device.is_cuda() && p_) {
    auto ev = std::make_shared<EventPair>();
    ev->start.record(c10::cuda::getCurrentCUDAStream(device.index()));
    events_ = ev;
    return;
  }
#endif
  cpu_.emplace(name, p_);
}

DeviceZone::~DeviceZone() {
#ifdef ATELIER_HAVE_CUDA
  if (events_) {
    auto ev = std::static_pointer_cast<EventPair>(events_);
    ev->end.record(c10::cuda::getCurrentCUDAStream());
    p_->recordPending(name_, [ev]() -> std::optional<double> {
      if (!ev->end.query()) { return std::nullopt; }
      return static_cast<double>(ev->start.elapsed_time(ev->end));
    });
  }
#endif
}

}  // namespace atelier
