// Loading and saving torch::nn::Module weights by name (checkpoint key == named_parameters()/named_buffers() path).
// Loading copies tensor by tensor into the module's existing storage, converting dtype on the fly, so at most
// one extra tensor is alive at a time (no second full copy). Strict mode lists every missing, unexpected and
// mis-shaped key in the error.
#pragma once

#include <torch/nn/module.h>

#include <functional>
#include <string>
#include <vector>

#include "atelier/safetensors.h"
#include "atelier/status.h"

namespace atelier {

struct LoadWeightsOptions {
  bool strict = true;                         // fail on missing/unexpected keys (shape mismatches always fail)
  std::vector<std::string> ignore_prefixes;   // file keys to skip silently (e.g. "embeddings.position_ids")
  std::string source_label;                   // file name for messages
};

// Copies `weights` into `module` (parameters and buffers). Keys are matched exactly.
Status loadModuleWeights(torch::nn::Module& module, const TensorMap& weights, const LoadWeightsOptions& opt = {});
// Collects parameters and buffers as a name → tensor map (detached views).
TensorMap moduleWeights(const torch::nn::Module& module);

}  // namespace atelier
