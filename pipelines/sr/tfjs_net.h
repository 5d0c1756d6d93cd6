// A tfjs LayersModel graph rebuilt as a LibTorch module: one Conv2d per Conv2D layer (registered under the
// Keras layer name, so named_parameters() are "<layer>.weight"/"<layer>.bias" for "<layer>/kernel"/"<layer>/bias"),
// executed in the file's topological order with intermediates freed after their last use.
// Thread-safety: forward() may run concurrently only on distinct instances.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>

#include <memory>
#include <vector>

#include "atelier/status.h"
#include "sr/tfjs_model.h"

namespace atelier::sr {

struct NetOptions {
  // Rewrites "nearest-upsample ×s → conv k×k" (RDN tail) as s² low-resolution phase convolutions + pixel shuffle:
  // exactly equivalent, ~s² fewer FLOPs.
  bool fuse_upsample_conv = true;
};

class TfjsNetImpl : public torch::nn::Module {
 public:
  // Builds the graph and copies the weights (Keras HWIO → OIHW). Errors name the model file and layer.
  static Result<std::shared_ptr<TfjsNetImpl>> build(const TfjsModel& model, const NetOptions& opt = {});
  // x: [B,Cin,H,W] in the model's native range → [B,Cout,H·s,W·s] (NCHW; Keras NHWC semantics).
  torch::Tensor forward(const torch::Tensor& x);
  int64_t scale() const { return scale_; }
  int64_t inChannels() const { return in_channels_; }

 private:
  enum class Op { kInput, kConv, kRelu, kConcat, kAdd, kUpsample, kMul, kD2S, kPhaseConv };
  struct Node {
    Op op = Op::kInput;
    std::vector<int> inputs;      // node indices
    int conv = -1;                // index into convs_
    bool relu = false;            // fused ReLU after the conv
    int64_t scale = 1;            // upsample / depth_to_space / phase factor
    double beta = 1.0;
    int uses = 0;                 // number of consumers (in-place ops when 1)
  };
  TfjsNetImpl() = default;
  Status addConv(const TfjsModel& m, const LayerDesc& d, Node& n, int64_t phase_scale);
  std::vector<Node> nodes_;
  std::vector<torch::nn::Conv2d> convs_;
  int output_ = -1;
  int64_t scale_ = 1, in_channels_ = 3;
};

// TensorFlow depth_to_space on NCHW: out[c, h·s+i, w·s+j] = in[(i·s+j)·C + c, h, w].
torch::Tensor depthToSpaceTF(const torch::Tensor& x, int64_t s);
// Phase weights for nearest-upsample(s) followed by a k×k "same" conv: returns the [O·s², I, K, K] kernel of an
// equivalent low-resolution conv whose output is pixel_shuffle'd (torch order). `w`: [O,I,k,k].
torch::Tensor phaseKernel(const torch::Tensor& w, int64_t s);

}  // namespace atelier::sr
