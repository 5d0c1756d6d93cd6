// Convolutional building blocks shared by the UNet and the VAE (diffusers ResnetBlock2D, Downsample2D,
// Upsample2D); parameter names mirror diffusers (norm1, conv1, time_emb_proj, norm2, conv2, conv_shortcut, conv).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <memory>
#include <string>

#include "sd/attention.h"

namespace atelier::sd {

struct ResnetOptions {
  int64_t in_channels = 0, out_channels = 0;
  int64_t temb_channels = 0;      // 0: no time embedding (VAE)
  int64_t groups = 32;
  double eps = 1e-5;
  double output_scale_factor = 1.0;
};

class ResnetBlock2DImpl : public torch::nn::Module {
 public:
  // hooks/name: FeatureHook site (UNet only; null for the VAE).
  explicit ResnetBlock2DImpl(const ResnetOptions& o, std::shared_ptr<HookState> hooks = nullptr,
                             std::string name = {});
  // x: [B,Cin,H,W]; temb_act: [B,Temb] = silu(time embedding), or undefined when temb_channels == 0
  // → [B,Cout,H,W]
  at::Tensor forward(const at::Tensor& x, const at::Tensor& temb_act = {});

  torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv_shortcut{nullptr};
  torch::nn::Linear time_emb_proj{nullptr};
  std::string name;   // module path, e.g. "up_blocks.1.resnets.0" (FeatureHook argument)

 private:
  double out_scale_;
  std::shared_ptr<HookState> hooks_;
};
TORCH_MODULE(ResnetBlock2D);

// Strided 3×3 conv. padding 1 (UNet) or 0 with an asymmetric (0,1,0,1) zero pad first (VAE encoder).
class Downsample2DImpl : public torch::nn::Module {
 public:
  Downsample2DImpl(int64_t channels, int64_t padding);
  // x: [B,C,H,W] → [B,C,ceil(H/2),ceil(W/2)] (UNet) / [B,C,floor((H+1)/2)...] (VAE, same for even sizes)
  at::Tensor forward(const at::Tensor& x);
  torch::nn::Conv2d conv{nullptr};

 private:
  int64_t padding_;
};
TORCH_MODULE(Downsample2D);

// Nearest-neighbour upsampling (×2, or to an explicit size) followed by a 3×3 conv.
class Upsample2DImpl : public torch::nn::Module {
 public:
  explicit Upsample2DImpl(int64_t channels);
  // x: [B,C,H,W] → [B,C,oh,ow]; oh/ow ≤ 0 → 2H, 2W
  at::Tensor forward(const at::Tensor& x, int64_t oh = 0, int64_t ow = 0);
  torch::nn::Conv2d conv{nullptr};
};
TORCH_MODULE(Upsample2D);

}  // namespace atelier::sd
