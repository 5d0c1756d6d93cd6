#include "sd/attention.h"

#include <torch/version.h>

#include <cmath>

#include "sd/nn_util.h"

namespace atelier::sd {

bool haveFusedAttention() {
#if TORCH_VERSION_MAJOR >= 2
  return true;
#else
  return false;
#endif
}

namespace {

// [B,N,h·d] → [B·h,N,d] (diffusers head_to_batch_dim; batch-major: row b·h + head).
at::Tensor splitHeads(const at::Tensor& x, int64_t heads) {
  const int64_t b = x.size(0), n = x.size(1), d = x.size(2) / heads;
  return x.view({b, n, heads, d}).permute({0, 2, 1, 3}).reshape({b * heads, n, d});
}

// [B·h,N,d] → [B,N,h·d]
at::Tensor mergeHeads(const at::Tensor& x, int64_t heads) {
  const int64_t bh = x.size(0), n = x.size(1), d = x.size(2);
  return x.view({bh / heads, heads, n, d}).permute({0, 2, 1, 3}).reshape({bh / heads, n, heads * d});
}

at::Tensor explicitAttention(at::Tensor q, at::Tensor k, at::Tensor v, int64_t heads, bool upcast,
                             AttentionHook* hook, const AttnSite* site, const StepInfo* step) {
  // q: [B,Nq,h·d], k/v: [B,Nk,h·d]
  q = splitHeads(q, heads);
  k = splitHeads(k, heads);
  v = splitHeads(v, heads);
  if (hook) hook->onQKV(*site, *step, q, k, v);
  const double scale = std::pow(static_cast<double>(q.size(-1)), -0.5);
  const bool up = upcast || detail::lowPrecision(q);
  at::Tensor qs = up ? q.to(at::kFloat) : q;
  at::Tensor ks = up ? k.to(at::kFloat) : k;
  at::Tensor scores = at::bmm(qs * scale, ks.transpose(1, 2));   // [B·h,Nq,Nk]
  if (hook) hook->onScores(*site, *step, scores);
  at::Tensor probs = at::softmax(scores, -1);
  if (hook) hook->onProbs(*site, *step, probs);
  at::Tensor out = at::bmm(probs.to(v.scalar_type()), v);         // [B·h,Nq,d]
  out = mergeHeads(out, heads);                                      // [B,Nq,h·d]
  if (hook) hook->onOutput(*site, *step, out);
  return out;
}

}  // namespace

at::Tensor multiHeadAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads,
                              bool upcast, bool force_explicit, AttentionHook* hook, const AttnSite* site,
                              const StepInfo* step) {
  // q: [B,Nq,h·d], k/v: [B,Nk,h·d] → [B,Nq,h·d]
#if TORCH_VERSION_MAJOR >= 2
  if (!hook && !force_explicit) {
    const int64_t b = q.size(0), d = q.size(2) / heads;
    auto q4 = q.view({b, q.size(1), heads, d}).transpose(1, 2);   // [B,h,Nq,d] strided view
    auto k4 = k.view({b, k.size(1), heads, d}).transpose(1, 2);
    auto v4 = v.view({b, v.size(1), heads, d}).transpose(1, 2);
    auto o = at::scaled_dot_product_attention(q4, k4, v4);        // [B,h,Nq,d], scale d^-½
    return o.transpose(1, 2).reshape({b, q.size(1), heads * d});
  }
#endif
  return explicitAttention(q, k, v, heads, upcast, hook, site, step);
}

AttentionImpl::AttentionImpl(int64_t query_dim, int64_t context_dim, int64_t heads, int64_t head_dim, bool upcast,
                             std::shared_ptr<HookState> hooks)
    : upcast_(upcast), hooks_(std::move(hooks)) {
  const int64_t inner = heads * head_dim;
  const int64_t kv_in = context_dim > 0 ? context_dim : query_dim;
  to_q = register_module("to_q", detail::makeLinear(query_dim, inner, false));
  to_k = register_module("to_k", detail::makeLinear(kv_in, inner, false));
  to_v = register_module("to_v", detail::makeLinear(kv_in, inner, false));
  out_proj = detail::makeLinear(inner, query_dim, true);
  to_out->push_back(out_proj);
  register_module("to_out", to_out);
  site.is_cross = context_dim > 0;
  site.heads = heads;
  site.head_dim = head_dim;
}

at::Tensor AttentionImpl::forward(const at::Tensor& x, const at::Tensor& ctx) {
  // x: [B,N,C]; ctx: [B,M,Cctx] or undefined → [B,N,C]
  const at::Tensor& kv_in = ctx.defined() ? ctx : x;
  at::Tensor q = detail::linear(x, to_q);
  at::Tensor k = detail::linear(kv_in, to_k);
  at::Tensor v = detail::linear(kv_in, to_v);
  AttentionHook* hook = nullptr;
  if (hooks_ && hooks_->attn && hooks_->attn->wants(site, hooks_->step)) hook = hooks_->attn.get();
  const bool force_explicit = hooks_ && hooks_->backend == AttnBackend::kExplicit;
  at::Tensor o = multiHeadAttention(q, k, v, site.heads, upcast_, force_explicit, hook, &site,
                                    hooks_ ? &hooks_->step : nullptr);
  return detail::linear(o, out_proj);
}

SpatialSelfAttentionImpl::SpatialSelfAttentionImpl(int64_t channels, int64_t groups, double eps) {
  group_norm = register_module(
      "group_norm", torch::nn::GroupNorm(torch::nn::GroupNormOptions(groups, channels).eps(eps).affine(true)));
  to_q = register_module("to_q", detail::makeLinear(channels, channels));
  to_k = register_module("to_k", detail::makeLinear(channels, channels));
  to_v = register_module("to_v", detail::makeLinear(channels, channels));
  out_proj = detail::makeLinear(channels, channels);
  to_out->push_back(out_proj);
  register_module("to_out", to_out);
}

at::Tensor SpatialSelfAttentionImpl::forward(const at::Tensor& x) {
  // x: [B,C,H,W] → [B,C,H,W]
  const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  at::Tensor n = detail::groupNorm(x, group_norm).view({b, c, h * w}).transpose(1, 2);   // [B,HW,C]
  at::Tensor q = detail::linear(n, to_q);
  at::Tensor k = detail::linear(n, to_k);
  at::Tensor v = detail::linear(n, to_v);
  at::Tensor o = detail::linear(multiHeadAttention(q, k, v, 1, /*upcast=*/true, false), out_proj);   // [B,HW,C]
  return o.transpose(1, 2).reshape({b, c, h, w}) + x;
}

}  // namespace atelier::sd
