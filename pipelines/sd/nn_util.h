// Internal tensor helpers shared by the UNet/VAE building blocks (included by .cpp files only).
// In-place variants are used only when autograd cannot need the overwritten value.
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

namespace atelier::sd::detail {

// While alive on this thread, the factories below allocate parameters with at::empty instead of torch's serial
// random init (~18 s fp32 / ~39 s fp16 for the SD 1.5 UNet on 2 CPU cores). Only for loaders, whose strict load
// then overwrites every parameter.
class SkipInitScope {
 public:
  SkipInitScope();
  ~SkipInitScope();
  SkipInitScope(const SkipInitScope&) = delete;
  SkipInitScope& operator=(const SkipInitScope&) = delete;
 private:
  bool saved_;
};

// torch::nn::Linear / Conv2d (square kernel) / Embedding in the default dtype; uninitialised in a SkipInitScope.
torch::nn::Linear makeLinear(int64_t in, int64_t out, bool bias = true);
torch::nn::Conv2d makeConv(int64_t in, int64_t out, int64_t k, int64_t stride = 1, int64_t pad = 0);
torch::nn::Embedding makeEmbedding(int64_t num, int64_t dim);

// True when autograd would record an op consuming t.
inline bool tracksGrad(const at::Tensor& t) { return at::GradMode::is_enabled() && t.requires_grad(); }

// silu(t); overwrites t when it is a temporary autograd does not track.
inline at::Tensor siluTmp(at::Tensor t) { return tracksGrad(t) ? at::silu(t) : at::silu_(t); }

// a + b; overwrites a (a temporary) when autograd does not track either operand.
inline at::Tensor addTmp(at::Tensor a, const at::Tensor& b) {
  return (tracksGrad(a) || tracksGrad(b)) ? a + b : a.add_(b);
}

// GroupNorm with the module's own groups/eps/affine parameters.
inline at::Tensor groupNorm(const at::Tensor& x, const torch::nn::GroupNorm& gn) {
  const auto& o = gn->options;
  return at::group_norm(x, o.num_groups(), gn->weight, gn->bias, o.eps());
}

// LayerNorm over the last dimension with the module's parameters.
inline at::Tensor layerNorm(const at::Tensor& x, const torch::nn::LayerNorm& ln) {
  return at::layer_norm(x, ln->options.normalized_shape(), ln->weight, ln->bias, ln->options.eps());
}

inline at::Tensor linear(const at::Tensor& x, const torch::nn::Linear& l) { return at::linear(x, l->weight, l->bias); }

// Conv2d with explicit stride/padding (square kernels; the module's own options are not consulted).
inline at::Tensor conv(const at::Tensor& x, const torch::nn::Conv2d& c, int64_t stride, int64_t pad) {
  return at::conv2d(x, c->weight, c->bias, {stride, stride}, {pad, pad});
}

inline bool lowPrecision(const at::Tensor& t) {
  return t.scalar_type() == at::kHalf || t.scalar_type() == at::kBFloat16;
}

}  // namespace atelier::sd::detail
