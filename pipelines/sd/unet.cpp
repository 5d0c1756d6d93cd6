#include "sd/unet.h"

#include <ATen/ATen.h>

#include <cmath>

#include "sd/nn_util.h"

namespace atelier::sd {

TimestepEmbeddingImpl::TimestepEmbeddingImpl(int64_t in, int64_t out) {
  linear_1 = register_module("linear_1", detail::makeLinear(in, out));
  linear_2 = register_module("linear_2", detail::makeLinear(out, out));
}

at::Tensor TimestepEmbeddingImpl::forward(const at::Tensor& x) {
  // x: [B,C0] → [B,4·C0]
  return detail::linear(detail::siluTmp(detail::linear(x, linear_1)), linear_2);
}

at::Tensor timestepSinusoid(const at::Tensor& t, int64_t dim, bool flip_sin_to_cos, int64_t freq_shift) {
  // t: [B] → [B,dim] fp32; same op order as diffusers so fp32 results match bit-for-bit.
  const int64_t half = dim / 2;
  at::Tensor exponent = at::arange(0, half, t.options().dtype(at::kFloat)) * (-std::log(10000.0));
  exponent = exponent / static_cast<double>(half - freq_shift);
  at::Tensor e = t.to(at::kFloat).unsqueeze(1) * at::exp(exponent).unsqueeze(0);   // [B,half]
  at::Tensor emb = flip_sin_to_cos ? at::cat({at::cos(e), at::sin(e)}, -1) : at::cat({at::sin(e), at::cos(e)}, -1);
  if (dim % 2 == 1) emb = at::constant_pad_nd(emb, {0, 1}, 0);
  return emb;
}

UNet2DConditionModelImpl::UNet2DConditionModelImpl(const UNetConfig& c)
    : cfg_(c), hooks_(std::make_shared<HookState>()) {
  const int64_t c0 = c.block_out_channels[0];
  conv_in = register_module("conv_in", detail::makeConv(c.in_channels, c0, 3, 1, 1));
  time_embedding = register_module("time_embedding", TimestepEmbedding(c0, c.timeEmbedDim()));
  for (size_t i = 0; i < c.numBlocks(); ++i) {
    downs_.push_back(UNetDownBlock(c, i, hooks_));
    down_blocks->push_back(downs_.back());
  }
  register_module("down_blocks", down_blocks);
  mid_block = register_module("mid_block", UNetMidBlock(c, hooks_));
  for (size_t i = 0; i < c.numBlocks(); ++i) {
    ups_.push_back(UNetUpBlock(c, i, hooks_));
    up_blocks->push_back(ups_.back());
  }
  register_module("up_blocks", up_blocks);
  conv_norm_out = register_module(
      "conv_norm_out",
      torch::nn::GroupNorm(torch::nn::GroupNormOptions(c.norm_num_groups, c0).eps(c.norm_eps).affine(true)));
  conv_out = register_module("conv_out", detail::makeConv(c0, c.out_channels, 3, 1, 1));

  // Attention sites in call order: down blocks, mid, up blocks (block_idx counts Transformer2DModels).
  auto add = [&](Transformer2DModel& tm, const std::string& prefix, UNetPart part) {
    tm->assignSites(prefix, num_transformers_++, part);
    for (auto* a : tm->attentions()) sites_.push_back(&(*a)->site);
  };
  for (size_t i = 0; i < downs_.size(); ++i) {
    for (size_t j = 0; j < downs_[i]->attn.size(); ++j) {
      add(downs_[i]->attn[j], "down_blocks." + std::to_string(i) + ".attentions." + std::to_string(j), UNetPart::kDown);
    }
  }
  add(mid_block->attn[0], "mid_block.attentions.0", UNetPart::kMid);
  for (size_t i = 0; i < ups_.size(); ++i) {
    for (size_t j = 0; j < ups_[i]->attn.size(); ++j) {
      add(ups_[i]->attn[j], "up_blocks." + std::to_string(i) + ".attentions." + std::to_string(j), UNetPart::kUp);
    }
  }
}

at::Tensor UNet2DConditionModelImpl::forward(const at::Tensor& x, double t, const at::Tensor& ctx) {
  return forward(x, at::scalar_tensor(t, x.options().dtype(at::kFloat)), ctx);
}

at::Tensor UNet2DConditionModelImpl::forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& ctx) {
  // x: [B,Cin,h,w]; t: 0-dim/[1]/[B]; ctx: [B,M,Cctx] → [B,Cout,h,w]
  TORCH_CHECK(x.dim() == 4 && x.size(1) == cfg_.in_channels, "UNet: x must be [B,", cfg_.in_channels,
              ",h,w], got ", x.sizes());
  TORCH_CHECK(ctx.dim() == 3 && ctx.size(0) == x.size(0) && ctx.size(2) == cfg_.cross_attention_dim,
              "UNet: ctx must be [B,M,", cfg_.cross_attention_dim, "] with B=", x.size(0), ", got ", ctx.sizes());
  const int64_t b = x.size(0);
  at::Tensor ts = t.dim() == 0 ? t.reshape({1}) : t;
  TORCH_CHECK(ts.dim() == 1 && (ts.size(0) == 1 || ts.size(0) == b), "UNet: t must be 0-dim, [1] or [B], got ",
              t.sizes());
  ts = ts.to(x.device()).expand({b});
  at::Tensor t_emb = timestepSinusoid(ts, cfg_.block_out_channels[0], cfg_.flip_sin_to_cos, cfg_.freq_shift);
  at::Tensor emb = time_embedding->forward(t_emb.to(x.scalar_type()));    // [B,4·C0]
  at::Tensor temb_act = at::silu(emb);   // every resnet applies SiLU to emb first: do it once

  at::Tensor h = detail::conv(x, conv_in, 1, 1);
  std::vector<at::Tensor> skips{h};
  for (auto& d : downs_) h = d->forward(h, temb_act, ctx, skips);
  h = mid_block->forward(h, temb_act, ctx);
  for (auto& u : ups_) h = u->forward(h, temb_act, ctx, skips);
  h = detail::siluTmp(detail::groupNorm(h, conv_norm_out));
  return detail::conv(h, conv_out, 1, 1);
}

}  // namespace atelier::sd
