// UNet2DConditionModel (diffusers) for SD 1.x / 2.x: ε/v prediction from noisy latents, timestep and text
// context. named_parameters() equal the keys of diffusers' unet/diffusion_pytorch_model.safetensors.
// Hooks: setAttentionHook / setFeatureHook / setStepInfo; with none installed the forward runs the plain path.
// Works in fp32, fp16 and bf16 after module->to(device, dtype); autograd flows through it (no NoGradGuard).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <memory>
#include <vector>

#include "sd/attention.h"
#include "sd/unet_blocks.h"
#include "sd/unet_config.h"

namespace atelier::sd {

// time_embedding.linear_1 → SiLU → linear_2
class TimestepEmbeddingImpl : public torch::nn::Module {
 public:
  TimestepEmbeddingImpl(int64_t in, int64_t out);
  // x: [B,C0] sinusoid → [B,4·C0]
  at::Tensor forward(const at::Tensor& x);
  torch::nn::Linear linear_1{nullptr}, linear_2{nullptr};
};
TORCH_MODULE(TimestepEmbedding);

// Sinusoidal timestep features as diffusers get_timestep_embedding (fp32). t: [B] → [B,dim]
at::Tensor timestepSinusoid(const at::Tensor& t, int64_t dim, bool flip_sin_to_cos, int64_t freq_shift);

class UNet2DConditionModelImpl : public torch::nn::Module {
 public:
  // Builds the module tree with default (random) initialisation; REQUIRES: c.validate() is OK.
  explicit UNet2DConditionModelImpl(const UNetConfig& c);
  // x: [B,Cin,h,w] latents; t: 0-dim or [B] (or [1]) timestep tensor, int or fractional (converted to fp32);
  // ctx: [B,M,cross_attention_dim] text embeddings → [B,Cout,h,w] (model dtype = x's dtype)
  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& ctx);
  at::Tensor forward(const at::Tensor& x, double t, const at::Tensor& ctx);   // scalar timestep convenience

  const UNetConfig& config() const { return cfg_; }
  void setAttentionHook(std::shared_ptr<AttentionHook> h) { hooks_->attn = std::move(h); }   // null: remove
  void setFeatureHook(std::shared_ptr<FeatureHook> h) { hooks_->feature = std::move(h); }    // null: remove
  void setStepInfo(const StepInfo& s) { hooks_->step = s; }
  const StepInfo& stepInfo() const { return hooks_->step; }
  // kExplicit forces the matmul+softmax path everywhere (tests, debugging); kAuto uses SDPA when possible.
  void setAttentionBackend(AttnBackend b) { hooks_->backend = b; }
  // All attention sites in call order (attn1 then attn2 per transformer block).
  const std::vector<const AttnSite*>& sites() const { return sites_; }
  int numTransformerBlocks() const { return num_transformers_; }   // 16 for SD 1.x/2.x

  torch::nn::Conv2d conv_in{nullptr}, conv_out{nullptr};
  TimestepEmbedding time_embedding{nullptr};
  torch::nn::ModuleList down_blocks, up_blocks;
  UNetMidBlock mid_block{nullptr};
  torch::nn::GroupNorm conv_norm_out{nullptr};

 private:
  UNetConfig cfg_;
  std::shared_ptr<HookState> hooks_;
  std::vector<UNetDownBlock> downs_;
  std::vector<UNetUpBlock> ups_;
  std::vector<const AttnSite*> sites_;
  int num_transformers_ = 0;
};
TORCH_MODULE(UNet2DConditionModel);

}  // namespace atelier::sd
