// Attention modules of the SD UNet (transformer attn1/attn2) and VAE (mid-block spatial self-attention), with
// parameter names as in diffusers (to_q, to_k, to_v, to_out.0, group_norm). Every transformer attention knows
// its AttnSite and reads the owning UNet's HookState: with no hook (or none that wants the site) it takes the
// fused path (SDPA, LibTorch ≥ 2) and calls nothing else; a wanted site runs the explicit
// softmax(q kᵀ·scale) path and calls onQKV → onScores → onProbs → onOutput.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <memory>

#include "sd/attention_hook.h"

namespace atelier::sd {

enum class AttnBackend { kAuto = 0, kExplicit };   // kAuto: SDPA where available and no hook wants the site

// Per-UNet state shared (by pointer) with all of its attention sites and resnets.
struct HookState {
  std::shared_ptr<AttentionHook> attn;      // null: no attention hook
  std::shared_ptr<FeatureHook> feature;     // null: no resnet feature hook
  StepInfo step;                            // current sampling step (set by the sampler)
  AttnBackend backend = AttnBackend::kAuto;
};

// Multi-head attention on projected tensors. q: [B,Nq,h·d], k/v: [B,Nk,h·d] → [B,Nq,h·d].
// `upcast`: scores/softmax in fp32 on the explicit path (also done for fp16/bf16 inputs).
// hook/site/step: non-null only for a site a hook wants (forces the explicit path); the hook then sees fp32
// scores/probs whenever the inputs are fp16/bf16.
at::Tensor multiHeadAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads,
                              bool upcast, bool force_explicit, AttentionHook* hook = nullptr,
                              const AttnSite* site = nullptr, const StepInfo* step = nullptr);

// True when this LibTorch build has the fused scaled_dot_product_attention (≥ 2.0).
bool haveFusedAttention();

// diffusers Attention as used by BasicTransformerBlock: to_q/to_k/to_v without bias, to_out.0 with bias.
class AttentionImpl : public torch::nn::Module {
 public:
  // context_dim 0 → self-attention (K/V from x).
  AttentionImpl(int64_t query_dim, int64_t context_dim, int64_t heads, int64_t head_dim, bool upcast,
                std::shared_ptr<HookState> hooks);
  // x: [B,N,C] queries; ctx: [B,M,Cctx] (cross) or undefined (self) → [B,N,C]
  at::Tensor forward(const at::Tensor& x, const at::Tensor& ctx = {});

  torch::nn::Linear to_q{nullptr}, to_k{nullptr}, to_v{nullptr}, out_proj{nullptr};   // out_proj = to_out.0
  torch::nn::ModuleList to_out;
  AttnSite site;      // filled by the UNet (names, block index) and per call (h, w)

 private:
  bool upcast_;
  std::shared_ptr<HookState> hooks_;
};
TORCH_MODULE(Attention);

// VAE mid-block attention: GroupNorm(eps) → single-head self-attention over H·W tokens (Linear q/k/v/out with
// bias, softmax in fp32) → + residual.
class SpatialSelfAttentionImpl : public torch::nn::Module {
 public:
  SpatialSelfAttentionImpl(int64_t channels, int64_t groups, double eps);
  // x: [B,C,H,W] → [B,C,H,W]
  at::Tensor forward(const at::Tensor& x);

  torch::nn::GroupNorm group_norm{nullptr};
  torch::nn::Linear to_q{nullptr}, to_k{nullptr}, to_v{nullptr}, out_proj{nullptr};   // out_proj = to_out.0
  torch::nn::ModuleList to_out;
};
TORCH_MODULE(SpatialSelfAttention);

}  // namespace atelier::sd
