#include "sd/unet_blocks.h"

#include <ATen/ATen.h>

namespace atelier::sd {

namespace {

ResnetBlock2D makeResnet(const UNetConfig& c, int64_t in, int64_t out, const std::shared_ptr<HookState>& hooks,
                         const std::string& name, double scale = 1.0) {
  ResnetOptions o;
  o.in_channels = in;
  o.out_channels = out;
  o.temb_channels = c.timeEmbedDim();
  o.groups = c.norm_num_groups;
  o.eps = c.norm_eps;
  o.output_scale_factor = scale;
  return ResnetBlock2D(o, hooks, name);
}

Transformer2DModel makeTransformer(const UNetConfig& c, int64_t ch, int64_t heads, int64_t layers,
                                   const std::shared_ptr<HookState>& hooks) {
  TransformerOptions o;
  o.channels = ch;
  o.heads = heads;
  o.layers = layers;
  o.cross_dim = c.cross_attention_dim;
  o.groups = c.norm_num_groups;
  o.linear_projection = c.use_linear_projection;
  o.upcast_attention = c.upcast_attention;
  return Transformer2DModel(o, hooks);
}

}  // namespace

UNetDownBlockImpl::UNetDownBlockImpl(const UNetConfig& c, size_t i, const std::shared_ptr<HookState>& hooks) {
  const int64_t out = c.block_out_channels[i];
  const int64_t in0 = i == 0 ? c.block_out_channels[0] : c.block_out_channels[i - 1];
  const std::string prefix = "down_blocks." + std::to_string(i);
  for (int64_t j = 0; j < c.layers_per_block[i]; ++j) {
    res.push_back(makeResnet(c, j == 0 ? in0 : out, out, hooks, prefix + ".resnets." + std::to_string(j)));
    resnets->push_back(res.back());
    if (c.downHasAttention(i)) {
      attn.push_back(makeTransformer(c, out, c.num_heads[i], c.transformer_layers_per_block[i], hooks));
      attentions->push_back(attn.back());
    }
  }
  register_module("resnets", resnets);
  if (!attn.empty()) register_module("attentions", attentions);
  if (i + 1 < c.numBlocks()) {
    down = Downsample2D(out, 1);
    downsamplers->push_back(down);
    register_module("downsamplers", downsamplers);
  }
}

at::Tensor UNetDownBlockImpl::forward(at::Tensor x, const at::Tensor& temb_act, const at::Tensor& ctx,
                                      std::vector<at::Tensor>& skips) {
  // x: [B,Cin,H,W] → [B,Cout,H/2,W/2] (or H,W for the last block); skips += layer outputs (+ downsampled)
  for (size_t j = 0; j < res.size(); ++j) {
    x = res[j]->forward(x, temb_act);
    if (!attn.empty()) x = attn[j]->forward(x, ctx);
    skips.push_back(x);
  }
  if (down) {
    x = down->forward(x);
    skips.push_back(x);
  }
  return x;
}

UNetMidBlockImpl::UNetMidBlockImpl(const UNetConfig& c, const std::shared_ptr<HookState>& hooks) {
  const int64_t ch = c.block_out_channels.back();
  const double s = c.mid_block_scale_factor;
  res.push_back(makeResnet(c, ch, ch, hooks, "mid_block.resnets.0", s));
  res.push_back(makeResnet(c, ch, ch, hooks, "mid_block.resnets.1", s));
  attn.push_back(makeTransformer(c, ch, c.num_heads.back(), c.transformer_layers_per_block.back(), hooks));
  for (auto& r : res) resnets->push_back(r);
  attentions->push_back(attn[0]);
  register_module("attentions", attentions);
  register_module("resnets", resnets);
}

at::Tensor UNetMidBlockImpl::forward(at::Tensor x, const at::Tensor& temb_act, const at::Tensor& ctx) {
  // x: [B,C,H,W] → [B,C,H,W]
  x = res[0]->forward(x, temb_act);
  x = attn[0]->forward(x, ctx);
  return res[1]->forward(x, temb_act);
}

UNetUpBlockImpl::UNetUpBlockImpl(const UNetConfig& c, size_t i, const std::shared_ptr<HookState>& hooks) {
  const size_t n = c.numBlocks();
  const size_t r = n - 1 - i;                                  // index into the down-block lists
  const int64_t out = c.block_out_channels[r];
  const int64_t prev_out = c.block_out_channels[i == 0 ? n - 1 : n - i];
  const int64_t in = c.block_out_channels[r == 0 ? 0 : r - 1];   // reversed[min(i+1, n-1)]
  const int64_t layers = c.layers_per_block[r] + 1;
  const std::string prefix = "up_blocks." + std::to_string(i);
  for (int64_t j = 0; j < layers; ++j) {
    const int64_t skip_ch = j == layers - 1 ? in : out;
    const int64_t res_in = j == 0 ? prev_out : out;
    res.push_back(makeResnet(c, res_in + skip_ch, out, hooks, prefix + ".resnets." + std::to_string(j)));
    resnets->push_back(res.back());
    if (c.upHasAttention(i)) {
      attn.push_back(makeTransformer(c, out, c.num_heads[r], c.transformer_layers_per_block[r], hooks));
      attentions->push_back(attn.back());
    }
  }
  if (!attn.empty()) register_module("attentions", attentions);
  register_module("resnets", resnets);
  if (i + 1 < n) {
    up = Upsample2D(out);
    upsamplers->push_back(up);
    register_module("upsamplers", upsamplers);
  }
}

at::Tensor UNetUpBlockImpl::forward(at::Tensor x, const at::Tensor& temb_act, const at::Tensor& ctx,
                                    std::vector<at::Tensor>& skips) {
  // x: [B,Cprev,H,W] → [B,Cout,H2,W2]; consumes res.size() skips from the back
  for (size_t j = 0; j < res.size(); ++j) {
    at::Tensor skip = std::move(skips.back());
    skips.pop_back();
    x = res[j]->forward(at::cat({x, skip}, 1), temb_act);
    if (!attn.empty()) x = attn[j]->forward(x, ctx);
  }
  if (up) {
    // Upsample to the next skip's size (diffusers forward_upsample_size; plain ×2 for even sizes).
    const bool have = !skips.empty();
    x = up->forward(x, have ? skips.back().size(2) : 0, have ? skips.back().size(3) : 0);
  }
  return x;
}

}  // namespace atelier::sd
