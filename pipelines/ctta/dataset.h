// CIFAR-style JPEG archives (split/<class>/NNNN.jpg in a .tar.gz) -> uint8 image arrays, and stream assets.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "atelier/status.h"

namespace atelier::ctta {

struct LabeledImages {
  at::Tensor images;    // uint8 [N,H,W,3] RGB
  at::Tensor labels;    // int64 [N]
  at::Tensor indices;   // int64 [N]: class·per_class + file number (= position in sorted path order)
};

// Reads every `split/<class>/<number>.jpg` of the archive (classes in `classes` order), sorted by index.
// per_class: files per class in the full split (1000 for CIFAR-10 test), used for the index.
Result<LabeledImages> loadJpegArchive(const std::string& tar_path, const std::string& split,
                                      const std::vector<std::string>& classes, int64_t per_class);
// Rows of `set` whose index equals each entry of `wanted` (in that order); error naming a missing index.
Result<LabeledImages> selectByIndex(const LabeledImages& set, const at::Tensor& wanted);
// uint8 [N,H,W,3] -> float [N,3,H,W] in [0,1] (v / 255).
at::Tensor toFloatNCHW(const at::Tensor& u8_nhwc);

// The CIFAR-10 class names in index order.
const std::vector<std::string>& cifar10Classes();
// Directory of the shipped assets (env ATELIER_CTTA_ASSETS, else the source tree's assets/ctta).
std::string cttaAssetsDir();
// The stream permutation (int64 [10000]) from a safetensors file holding `permutation`.
Result<at::Tensor> loadPermutation(const std::string& path);

}  // namespace atelier::ctta
