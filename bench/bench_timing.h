// Shared timing helper of the bench programs: device-synchronised wall time of a callable.
#pragma once

#include <c10/core/Device.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

#include "atelier/device.h"
#include "atelier/status.h"

namespace atelier::bench {

struct TimingMs { double median = -1, mean = -1; int iters = 0; };   // -1: nothing timed

// One warm-up call, then `iters` timed calls, each wrapped in synchronize(dev). Stops at the first error (returned
// in *st when st is given; the timing then covers the calls before it).
inline TimingMs timeMs(const std::function<Status()>& fn, int iters, const c10::Device& dev, Status* st = nullptr) {
  Status s = fn();
  std::vector<double> v;
  for (int i = 0; i < iters && s.ok(); ++i) {
    synchronize(dev);
    const auto t0 = std::chrono::steady_clock::now();
    s = fn();
    synchronize(dev);
    v.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  if (st) *st = s;
  TimingMs t;
  if (v.empty()) return t;
  t.iters = static_cast<int>(v.size());
  t.mean = 0;
  for (double x : v) t.mean += x / v.size();
  std::sort(v.begin(), v.end());
  t.median = v[v.size() / 2];
  return t;
}

}  // namespace atelier::bench
