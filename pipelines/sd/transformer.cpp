#include "sd/transformer.h"

#include "sd/nn_util.h"

namespace atelier::sd {

GegluImpl::GegluImpl(int64_t dim, int64_t inner) {
  proj = register_module("proj", detail::makeLinear(dim, inner * 2));
}

at::Tensor GegluImpl::forward(const at::Tensor& x) {
  // x: [B,N,C] → [B,N,inner]
  at::Tensor p = detail::linear(x, proj);        // [B,N,2·inner]
  auto halves = p.chunk(2, -1);                  // value, gate (strided views)
  at::Tensor g = detail::tracksGrad(p) ? at::gelu(halves[1]) : at::gelu_(halves[1]);
  return halves[0] * g;                          // contiguous [B,N,inner]
}

FeedForwardImpl::FeedForwardImpl(int64_t dim) {
  geglu = Geglu(dim, dim * 4);
  out = detail::makeLinear(dim * 4, dim);
  net->push_back(geglu);
  net->push_back(torch::nn::Identity());         // net.1: dropout in diffusers (no parameters)
  net->push_back(out);
  register_module("net", net);
}

at::Tensor FeedForwardImpl::forward(const at::Tensor& x) {
  // x: [B,N,C] → [B,N,C]
  return detail::linear(geglu->forward(x), out);
}

BasicTransformerBlockImpl::BasicTransformerBlockImpl(int64_t dim, int64_t heads, int64_t head_dim, int64_t cross_dim,
                                                     bool upcast, const std::shared_ptr<HookState>& hooks) {
  auto ln = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(1e-5).elementwise_affine(true)); };
  norm1 = register_module("norm1", ln());
  attn1 = register_module("attn1", Attention(dim, 0, heads, head_dim, upcast, hooks));
  norm2 = register_module("norm2", ln());
  attn2 = register_module("attn2", Attention(dim, cross_dim, heads, head_dim, upcast, hooks));
  norm3 = register_module("norm3", ln());
  ff = register_module("ff", FeedForward(dim));
}

at::Tensor BasicTransformerBlockImpl::forward(const at::Tensor& x, const at::Tensor& ctx) {
  // x: [B,N,C]; ctx: [B,M,Cctx] → [B,N,C]
  at::Tensor h = detail::addTmp(attn1->forward(detail::layerNorm(x, norm1)), x);
  h = detail::addTmp(attn2->forward(detail::layerNorm(h, norm2), ctx), h);
  return detail::addTmp(ff->forward(detail::layerNorm(h, norm3)), h);
}

Transformer2DModelImpl::Transformer2DModelImpl(const TransformerOptions& o, const std::shared_ptr<HookState>& hooks) {
  const int64_t c = o.channels;
  norm = register_module("norm",
                         torch::nn::GroupNorm(torch::nn::GroupNormOptions(o.groups, c).eps(1e-6).affine(true)));
  if (o.linear_projection) {
    proj_in_linear = register_module("proj_in", detail::makeLinear(c, c));
  } else {
    proj_in_conv = register_module("proj_in", detail::makeConv(c, c, 1));
  }
  for (int64_t i = 0; i < o.layers; ++i) {
    blocks.push_back(BasicTransformerBlock(c, o.heads, c / o.heads, o.cross_dim, o.upcast_attention, hooks));
    transformer_blocks->push_back(blocks.back());
  }
  register_module("transformer_blocks", transformer_blocks);
  if (o.linear_projection) {
    proj_out_linear = register_module("proj_out", detail::makeLinear(c, c));
  } else {
    proj_out_conv = register_module("proj_out", detail::makeConv(c, c, 1));
  }
}

void Transformer2DModelImpl::assignSites(const std::string& prefix, int block_idx, UNetPart part) {
  for (size_t i = 0; i < blocks.size(); ++i) {
    const std::string base = prefix + ".transformer_blocks." + std::to_string(i) + ".";
    for (auto* a : {&blocks[i]->attn1, &blocks[i]->attn2}) {
      (*a)->site.block_idx = block_idx;
      (*a)->site.part = part;
      (*a)->site.name = base + ((*a)->site.is_cross ? "attn2" : "attn1");
    }
  }
}

std::vector<Attention*> Transformer2DModelImpl::attentions() {
  std::vector<Attention*> r;
  for (auto& b : blocks) {
    r.push_back(&b->attn1);
    r.push_back(&b->attn2);
  }
  return r;
}

at::Tensor Transformer2DModelImpl::forward(const at::Tensor& x, const at::Tensor& ctx) {
  // x: [B,C,H,W]; ctx: [B,M,Cctx] → [B,C,H,W]
  const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  for (auto& blk : blocks) {
    blk->attn1->site.h = blk->attn2->site.h = h;
    blk->attn1->site.w = blk->attn2->site.w = w;
  }
  at::Tensor t = detail::groupNorm(x, norm);
  if (proj_in_conv) {
    t = detail::conv(t, proj_in_conv, 1, 0);
    t = t.permute({0, 2, 3, 1}).reshape({b, h * w, c});     // [B,HW,C]
  } else {
    t = detail::linear(t.permute({0, 2, 3, 1}).reshape({b, h * w, c}), proj_in_linear);
  }
  for (auto& blk : blocks) t = blk->forward(t, ctx);
  if (proj_out_conv) {
    t = t.reshape({b, h, w, c}).permute({0, 3, 1, 2}).contiguous();
    t = detail::conv(t, proj_out_conv, 1, 0);
  } else {
    t = detail::linear(t, proj_out_linear).reshape({b, h, w, c}).permute({0, 3, 1, 2}).contiguous();
  }
  return detail::addTmp(t, x);
}

}  // namespace atelier::sd
