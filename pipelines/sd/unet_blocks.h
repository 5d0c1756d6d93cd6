// UNet2DConditionModel stages (diffusers CrossAttnDownBlock2D/DownBlock2D, UNetMidBlock2DCrossAttn,
// CrossAttnUpBlock2D/UpBlock2D). Parameter names: resnets.N, attentions.N, downsamplers.0.conv, upsamplers.0.conv.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>

#include <memory>
#include <string>
#include <vector>

#include "sd/resnet.h"
#include "sd/transformer.h"
#include "sd/unet_config.h"

namespace atelier::sd {

// Down block i of the UNet (with or without cross-attention; downsampler unless it is the last block).
class UNetDownBlockImpl : public torch::nn::Module {
 public:
  UNetDownBlockImpl(const UNetConfig& c, size_t i, const std::shared_ptr<HookState>& hooks);
  // x: [B,Cin,H,W]; temb_act: [B,4·C0]; ctx: [B,M,Cctx]; appends every output to `skips` → [B,Cout,H',W']
  at::Tensor forward(at::Tensor x, const at::Tensor& temb_act, const at::Tensor& ctx, std::vector<at::Tensor>& skips);
  torch::nn::ModuleList resnets, attentions, downsamplers;
  std::vector<ResnetBlock2D> res;
  std::vector<Transformer2DModel> attn;
  Downsample2D down{nullptr};
};
TORCH_MODULE(UNetDownBlock);

// Mid block: resnet → transformer → resnet at the lowest resolution.
class UNetMidBlockImpl : public torch::nn::Module {
 public:
  UNetMidBlockImpl(const UNetConfig& c, const std::shared_ptr<HookState>& hooks);
  // x: [B,C,H,W]; temb_act: [B,4·C0]; ctx: [B,M,Cctx] → [B,C,H,W]
  at::Tensor forward(at::Tensor x, const at::Tensor& temb_act, const at::Tensor& ctx);
  torch::nn::ModuleList resnets, attentions;
  std::vector<ResnetBlock2D> res;
  std::vector<Transformer2DModel> attn;
};
TORCH_MODULE(UNetMidBlock);

// Up block i: layers_per_block+1 resnets, each fed cat([h, skip]); upsampler unless it is the last block.
class UNetUpBlockImpl : public torch::nn::Module {
 public:
  UNetUpBlockImpl(const UNetConfig& c, size_t i, const std::shared_ptr<HookState>& hooks);
  // x: [B,Cprev,H,W]; pops its skips from the back of `skips`; upsamples to the next skip's size
  // → [B,Cout,H2,W2]
  at::Tensor forward(at::Tensor x, const at::Tensor& temb_act, const at::Tensor& ctx, std::vector<at::Tensor>& skips);
  torch::nn::ModuleList resnets, attentions, upsamplers;
  std::vector<ResnetBlock2D> res;
  std::vector<Transformer2DModel> attn;
  Upsample2D up{nullptr};
};
TORCH_MODULE(UNetUpBlock);

}  // namespace atelier::sd
