// AutoencoderKL (diffusers) for SD 1.x / 2.x: encoder → (mean, logvar), decoder (raw, no scaling), and a tiled
// decode for large latents. named_parameters() equal diffusers' vae/diffusion_pytorch_model.safetensors keys.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>

#include <utility>
#include <vector>

#include "atelier/safetensors.h"
#include "sd/attention.h"
#include "sd/resnet.h"
#include "sd/vae_config.h"

namespace atelier::sd {

// VAE mid block: resnet → (spatial attention) → resnet, eps 1e-6, no time embedding.
class VaeMidBlockImpl : public torch::nn::Module {
 public:
  VaeMidBlockImpl(int64_t ch, int64_t groups, bool attention);
  // x: [B,C,H,W] → [B,C,H,W]
  at::Tensor forward(const at::Tensor& x);
  torch::nn::ModuleList resnets, attentions;
  std::vector<ResnetBlock2D> res;
  SpatialSelfAttention attn{nullptr};
};
TORCH_MODULE(VaeMidBlock);

// One encoder (DownEncoderBlock2D) or decoder (UpDecoderBlock2D) stage: resnets + optional resampler.
class VaeStageImpl : public torch::nn::Module {
 public:
  VaeStageImpl(int64_t in, int64_t out, int64_t layers, int64_t groups, bool resample, bool is_decoder);
  // x: [B,Cin,H,W] → [B,Cout,H',W'] (encoder: H/2 with the asymmetric pad; decoder: 2H)
  at::Tensor forward(at::Tensor x);
  torch::nn::ModuleList resnets, downsamplers, upsamplers;
  std::vector<ResnetBlock2D> res;
  Downsample2D down{nullptr};
  Upsample2D up{nullptr};
};
TORCH_MODULE(VaeStage);

class VaeEncoderImpl : public torch::nn::Module {
 public:
  explicit VaeEncoderImpl(const VaeConfig& c);
  // x: [B,3,H,W] in [-1,1] → [B,2·latent,H/f,W/f] moments (before quant_conv)
  at::Tensor forward(const at::Tensor& x);
  torch::nn::Conv2d conv_in{nullptr}, conv_out{nullptr};
  torch::nn::ModuleList down_blocks;
  std::vector<VaeStage> stages;
  VaeMidBlock mid_block{nullptr};
  torch::nn::GroupNorm conv_norm_out{nullptr};
};
TORCH_MODULE(VaeEncoder);

class VaeDecoderImpl : public torch::nn::Module {
 public:
  explicit VaeDecoderImpl(const VaeConfig& c);
  // z: [B,latent,h,w] (after post_quant_conv) → [B,3,h·f,w·f]
  at::Tensor forward(const at::Tensor& z);
  torch::nn::Conv2d conv_in{nullptr}, conv_out{nullptr};
  torch::nn::ModuleList up_blocks;
  std::vector<VaeStage> stages;
  VaeMidBlock mid_block{nullptr};
  torch::nn::GroupNorm conv_norm_out{nullptr};
};
TORCH_MODULE(VaeDecoder);

struct TiledDecodeOptions {
  int64_t tile_latent = 0;     // latent tile side; 0 → sample_size / downFactor() (64 for SD)
  double overlap = 0.25;       // fraction of a tile shared with its neighbour (diffusers tile_overlap_factor)
};

class AutoencoderKLImpl : public torch::nn::Module {
 public:
  explicit AutoencoderKLImpl(const VaeConfig& c);   // default (random) init; REQUIRES: c.validate() OK
  // x: [B,3,H,W] in [-1,1] → (mean, logvar) each [B,latent,H/f,W/f]; logvar clamped to [-30,20]; no scaling
  std::pair<at::Tensor, at::Tensor> encode(const at::Tensor& x);
  // z: [B,latent,h,w] raw latents (caller divides by scaling_factor) → [B,3,h·f,w·f] ≈ [-1,1], not clamped
  at::Tensor decode(const at::Tensor& z);
  // Same as decode, tile by tile with overlapping tiles linearly blended (approximate, as diffusers'
  // tiled_decode: GroupNorm statistics are per tile, so seams are reduced, not exact). Falls back to decode()
  // when z fits in one tile.
  at::Tensor decodeTiled(const at::Tensor& z, const TiledDecodeOptions& opt = {});
  const VaeConfig& config() const { return cfg_; }

  VaeEncoder encoder{nullptr};
  VaeDecoder decoder{nullptr};
  torch::nn::Conv2d quant_conv{nullptr}, post_quant_conv{nullptr};

 private:
  VaeConfig cfg_;
};
TORCH_MODULE(AutoencoderKL);

// Renames the deprecated VAE attention keys (…attentions.0.{query,key,value,proj_attn}) to
// to_q/to_k/to_v/to_out.0 in place, as diffusers does on load. Returns how many keys were renamed.
int convertDeprecatedVaeAttentionKeys(TensorMap& weights);

}  // namespace atelier::sd
