// diffusers Transformer2DModel (one or more BasicTransformerBlocks over an image's H·W tokens) with GEGLU
// feed-forward; parameter names: norm, proj_in, transformer_blocks.N.{norm1,attn1,norm2,attn2,norm3,
// ff.net.0.proj,ff.net.2}, proj_out.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <memory>
#include <string>
#include <vector>

#include "sd/attention.h"

namespace atelier::sd {

// GEGLU projection: Linear(C, 2·inner) → value · gelu(gate) (first half is the value).
class GegluImpl : public torch::nn::Module {
 public:
  GegluImpl(int64_t dim, int64_t inner);
  // x: [B,N,C] → [B,N,inner]
  at::Tensor forward(const at::Tensor& x);
  torch::nn::Linear proj{nullptr};
};
TORCH_MODULE(Geglu);

// FeedForward: net.0 = GEGLU(C → 4C), net.1 = dropout (no-op), net.2 = Linear(4C → C).
class FeedForwardImpl : public torch::nn::Module {
 public:
  explicit FeedForwardImpl(int64_t dim);
  // x: [B,N,C] → [B,N,C]
  at::Tensor forward(const at::Tensor& x);
  torch::nn::ModuleList net;
  Geglu geglu{nullptr};
  torch::nn::Linear out{nullptr};
};
TORCH_MODULE(FeedForward);

// Self-attention, cross-attention, feed-forward; each pre-LayerNorm (eps 1e-5) with a residual add.
class BasicTransformerBlockImpl : public torch::nn::Module {
 public:
  BasicTransformerBlockImpl(int64_t dim, int64_t heads, int64_t head_dim, int64_t cross_dim, bool upcast,
                            const std::shared_ptr<HookState>& hooks);
  // x: [B,N,C]; ctx: [B,M,Cctx] → [B,N,C]
  at::Tensor forward(const at::Tensor& x, const at::Tensor& ctx);
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr}, norm3{nullptr};
  Attention attn1{nullptr}, attn2{nullptr};
  FeedForward ff{nullptr};
};
TORCH_MODULE(BasicTransformerBlock);

struct TransformerOptions {
  int64_t channels = 0, heads = 1, layers = 1, cross_dim = 768, groups = 32;
  bool linear_projection = false;   // SD2: Linear proj_in/out after the NCHW→NLC reshape; SD1: 1×1 convs before
  bool upcast_attention = false;
};

class Transformer2DModelImpl : public torch::nn::Module {
 public:
  Transformer2DModelImpl(const TransformerOptions& o, const std::shared_ptr<HookState>& hooks);
  // x: [B,C,H,W]; ctx: [B,M,Cctx] → [B,C,H,W]
  at::Tensor forward(const at::Tensor& x, const at::Tensor& ctx);
  // Names the attention sites: prefix = module path of this model, e.g. "down_blocks.0.attentions.1".
  void assignSites(const std::string& prefix, int block_idx, UNetPart part);
  std::vector<Attention*> attentions();   // attn1/attn2 of every block, in call order

  torch::nn::GroupNorm norm{nullptr};
  torch::nn::Conv2d proj_in_conv{nullptr}, proj_out_conv{nullptr};     // SD1 (registered as proj_in/proj_out)
  torch::nn::Linear proj_in_linear{nullptr}, proj_out_linear{nullptr}; // SD2 (registered as proj_in/proj_out)
  torch::nn::ModuleList transformer_blocks;
  std::vector<BasicTransformerBlock> blocks;
};
TORCH_MODULE(Transformer2DModel);

}  // namespace atelier::sd
