#include "sd/vae.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "sd/nn_util.h"

namespace atelier::sd {

namespace {
constexpr double kVaeEps = 1e-6;

ResnetBlock2D makeVaeResnet(int64_t in, int64_t out, int64_t groups) {
  ResnetOptions o;
  o.in_channels = in;
  o.out_channels = out;
  o.groups = groups;
  o.eps = kVaeEps;
  return ResnetBlock2D(o);
}

torch::nn::Conv2d conv3(int64_t in, int64_t out) {
  return detail::makeConv(in, out, 3, 1, 1);
}

torch::nn::GroupNorm vaeNorm(int64_t groups, int64_t ch) {
  return torch::nn::GroupNorm(torch::nn::GroupNormOptions(groups, ch).eps(kVaeEps).affine(true));
}
}  // namespace

VaeMidBlockImpl::VaeMidBlockImpl(int64_t ch, int64_t groups, bool attention) {
  res.push_back(makeVaeResnet(ch, ch, groups));
  res.push_back(makeVaeResnet(ch, ch, groups));
  if (attention) {
    attn = SpatialSelfAttention(ch, groups, kVaeEps);
    attentions->push_back(attn);
    register_module("attentions", attentions);
  }
  for (auto& r : res) resnets->push_back(r);
  register_module("resnets", resnets);
}

at::Tensor VaeMidBlockImpl::forward(const at::Tensor& x) {
  // x: [B,C,H,W] → [B,C,H,W]
  at::Tensor h = res[0]->forward(x);
  if (attn) h = attn->forward(h);
  return res[1]->forward(h);
}

VaeStageImpl::VaeStageImpl(int64_t in, int64_t out, int64_t layers, int64_t groups, bool resample, bool is_decoder) {
  for (int64_t j = 0; j < layers; ++j) {
    res.push_back(makeVaeResnet(j == 0 ? in : out, out, groups));
    resnets->push_back(res.back());
  }
  register_module("resnets", resnets);
  if (resample && is_decoder) {
    up = Upsample2D(out);
    upsamplers->push_back(up);
    register_module("upsamplers", upsamplers);
  } else if (resample) {
    down = Downsample2D(out, 0);
    downsamplers->push_back(down);
    register_module("downsamplers", downsamplers);
  }
}

at::Tensor VaeStageImpl::forward(at::Tensor x) {
  // x: [B,Cin,H,W] → [B,Cout,H',W']
  for (auto& r : res) x = r->forward(x);
  if (down) x = down->forward(x);
  if (up) x = up->forward(x);
  return x;
}

VaeEncoderImpl::VaeEncoderImpl(const VaeConfig& c) {
  const auto& ch = c.block_out_channels;
  conv_in = register_module("conv_in", conv3(c.in_channels, ch[0]));
  for (size_t i = 0; i < ch.size(); ++i) {
    const int64_t in = i == 0 ? ch[0] : ch[i - 1];
    stages.push_back(VaeStage(in, ch[i], c.layers_per_block, c.norm_num_groups, i + 1 < ch.size(), false));
    down_blocks->push_back(stages.back());
  }
  register_module("down_blocks", down_blocks);
  mid_block = register_module("mid_block", VaeMidBlock(ch.back(), c.norm_num_groups, c.mid_block_add_attention));
  conv_norm_out = register_module("conv_norm_out", vaeNorm(c.norm_num_groups, ch.back()));
  conv_out = register_module("conv_out", conv3(ch.back(), 2 * c.latent_channels));
}

at::Tensor VaeEncoderImpl::forward(const at::Tensor& x) {
  // x: [B,3,H,W] → [B,2·latent,H/f,W/f]
  at::Tensor h = detail::conv(x, conv_in, 1, 1);
  for (auto& s : stages) h = s->forward(h);
  h = mid_block->forward(h);
  h = detail::siluTmp(detail::groupNorm(h, conv_norm_out));
  return detail::conv(h, conv_out, 1, 1);
}

VaeDecoderImpl::VaeDecoderImpl(const VaeConfig& c) {
  const auto& ch = c.block_out_channels;
  const size_t n = ch.size();
  conv_in = register_module("conv_in", conv3(c.latent_channels, ch.back()));
  mid_block = register_module("mid_block", VaeMidBlock(ch.back(), c.norm_num_groups, c.mid_block_add_attention));
  for (size_t i = 0; i < n; ++i) {
    const int64_t prev = ch[n - (i == 0 ? 1 : i)];   // reversed[i-1] (reversed[0] for i = 0)
    const int64_t out = ch[n - 1 - i];
    stages.push_back(VaeStage(prev, out, c.layers_per_block + 1, c.norm_num_groups, i + 1 < n, true));
    up_blocks->push_back(stages.back());
  }
  register_module("up_blocks", up_blocks);
  conv_norm_out = register_module("conv_norm_out", vaeNorm(c.norm_num_groups, ch[0]));
  conv_out = register_module("conv_out", conv3(ch[0], c.out_channels));
}

at::Tensor VaeDecoderImpl::forward(const at::Tensor& z) {
  // z: [B,latent,h,w] → [B,3,h·f,w·f]
  at::Tensor h = detail::conv(z, conv_in, 1, 1);
  h = mid_block->forward(h);
  for (auto& s : stages) h = s->forward(h);
  h = detail::siluTmp(detail::groupNorm(h, conv_norm_out));
  return detail::conv(h, conv_out, 1, 1);
}

AutoencoderKLImpl::AutoencoderKLImpl(const VaeConfig& c) : cfg_(c) {
  encoder = register_module("encoder", VaeEncoder(c));
  decoder = register_module("decoder", VaeDecoder(c));
  const int64_t l = c.latent_channels;
  if (c.use_quant_conv) quant_conv = register_module("quant_conv", detail::makeConv(2 * l, 2 * l, 1));
  if (c.use_post_quant_conv) post_quant_conv = register_module("post_quant_conv", detail::makeConv(l, l, 1));
}

std::pair<at::Tensor, at::Tensor> AutoencoderKLImpl::encode(const at::Tensor& x) {
  // x: [B,3,H,W] → mean, logvar: [B,latent,H/f,W/f]
  TORCH_CHECK(x.dim() == 4 && x.size(1) == cfg_.in_channels, "VAE encode: x must be [B,", cfg_.in_channels,
              ",H,W], got ", x.sizes());
  at::Tensor m = encoder->forward(x);
  if (quant_conv) m = detail::conv(m, quant_conv, 1, 0);
  auto parts = m.chunk(2, 1);
  return {parts[0], at::clamp(parts[1], -30.0, 20.0)};
}

at::Tensor AutoencoderKLImpl::decode(const at::Tensor& z) {
  // z: [B,latent,h,w] → [B,3,h·f,w·f]
  TORCH_CHECK(z.dim() == 4 && z.size(1) == cfg_.latent_channels, "VAE decode: z must be [B,", cfg_.latent_channels,
              ",h,w], got ", z.sizes());
  at::Tensor h = post_quant_conv ? detail::conv(z, post_quant_conv, 1, 0) : z;
  return decoder->forward(h);
}

namespace {
// Linear cross-fade of the first `extent` rows (dim 2) or columns (dim 3) of b with the last ones of a, in place
// on b, as diffusers blend_v / blend_h (weights y/extent computed in double, applied in b's dtype).
void blendInto(const at::Tensor& a, at::Tensor& b, int64_t extent, int64_t dim) {
  extent = std::min({a.size(dim), b.size(dim), extent});
  if (extent <= 0) return;
  std::vector<double> wv(extent);
  for (int64_t y = 0; y < extent; ++y) wv[y] = static_cast<double>(y) / static_cast<double>(extent);
  at::Tensor w = at::tensor(wv, at::TensorOptions().dtype(at::kDouble)).to(b.options());
  std::vector<int64_t> shape{1, 1, 1, 1};
  shape[dim] = extent;
  w = w.view(shape);
  at::Tensor one_minus = (1.0 - at::tensor(wv, at::TensorOptions().dtype(at::kDouble))).to(b.options()).view(shape);
  at::Tensor head = b.narrow(dim, 0, extent);
  head.copy_(a.narrow(dim, a.size(dim) - extent, extent) * one_minus + head * w);
}
}  // namespace

at::Tensor AutoencoderKLImpl::decodeTiled(const at::Tensor& z, const TiledDecodeOptions& opt) {
  // z: [B,latent,h,w] → [B,3,h·f,w·f]
  // Approximate like diffusers' tiled_decode: tiles are decoded independently (their GroupNorm statistics and
  // attention differ from a full decode) and the overlaps are linearly blended.
  const int64_t f = cfg_.downFactor();
  const int64_t tile = opt.tile_latent > 0 ? opt.tile_latent : std::max<int64_t>(1, cfg_.sample_size / f);
  TORCH_CHECK(opt.overlap >= 0 && opt.overlap < 1, "decodeTiled: overlap must be in [0,1)");
  if (z.size(2) <= tile && z.size(3) <= tile) return decode(z);
  const int64_t stride = std::max<int64_t>(1, static_cast<int64_t>(tile * (1 - opt.overlap)));
  const int64_t sample_tile = tile * f;
  const int64_t blend = static_cast<int64_t>(sample_tile * opt.overlap);
  const int64_t limit = sample_tile - blend;
  std::vector<std::vector<at::Tensor>> rows;
  for (int64_t i = 0; i < z.size(2); i += stride) {
    std::vector<at::Tensor> row;
    for (int64_t j = 0; j < z.size(3); j += stride) {
      const int64_t th = std::min(tile, z.size(2) - i), tw = std::min(tile, z.size(3) - j);
      row.push_back(decode(z.narrow(2, i, th).narrow(3, j, tw)));
    }
    rows.push_back(std::move(row));
  }
  std::vector<at::Tensor> out_rows;
  for (size_t i = 0; i < rows.size(); ++i) {
    std::vector<at::Tensor> parts;
    for (size_t j = 0; j < rows[i].size(); ++j) {
      at::Tensor& t = rows[i][j];
      if (i > 0) blendInto(rows[i - 1][j], t, blend, 2);
      if (j > 0) blendInto(rows[i][j - 1], t, blend, 3);
      parts.push_back(t.narrow(2, 0, std::min(limit, t.size(2))).narrow(3, 0, std::min(limit, t.size(3))));
    }
    out_rows.push_back(at::cat(parts, 3));
  }
  return at::cat(out_rows, 2);
}

int convertDeprecatedVaeAttentionKeys(TensorMap& weights) {
  static const std::pair<const char*, const char*> kMap[] = {
      {".query.", ".to_q."}, {".key.", ".to_k."}, {".value.", ".to_v."}, {".proj_attn.", ".to_out.0."}};
  int renamed = 0;
  std::vector<std::pair<std::string, std::string>> moves;
  for (const auto& kv : weights) {
    const std::string& k = kv.first;
    if (k.find(".attentions.") == std::string::npos) continue;
    for (const auto& m : kMap) {
      const auto pos = k.find(m.first);
      if (pos != std::string::npos) {
        moves.emplace_back(k, k.substr(0, pos) + m.second + k.substr(pos + std::string(m.first).size()));
        break;
      }
    }
  }
  for (const auto& mv : moves) {
    if (weights.count(mv.second)) continue;   // both present: keep the new name, leave the old as unexpected
    weights[mv.second] = weights[mv.first];
    weights.erase(mv.first);
    ++renamed;
  }
  return renamed;
}

}  // namespace atelier::sd
