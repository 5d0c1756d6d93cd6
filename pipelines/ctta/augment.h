// CoTTA's get_tta_transforms (KATANA): one random draw per call for the whole batch; see ctta.md §2.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <random>

namespace atelier::ctta {

class TtaAugment {
 public:
  explicit TtaAugment(uint64_t seed) : rng_(seed) {}
  // x: [B,3,n,n] in [0,1] -> augmented [B,3,n,n] (jitter, edge pad, affine, blur, crop, flip, noise, clip).
  at::Tensor operator()(const at::Tensor& x);

 private:
  double uni(double a, double b) { return a + (b - a) * (double(rng_() >> 11) * (1.0 / 9007199254740992.0)); }
  std::mt19937_64 rng_;
};

}  // namespace atelier::ctta
