// Module factories that can skip random init (loaders overwrite every parameter).
#include "sd/nn_util.h"

namespace atelier::sd::detail {
namespace {

thread_local bool t_skip_init = false;

// Points a 1-element placeholder parameter at uninitialised storage of `sizes` (same dtype/device). The module's
// member and its registered parameter share the TensorImpl, so both see the new storage.
void resizeUninit(at::Tensor& p, at::IntArrayRef sizes) {
  at::NoGradGuard ng;
  p.set_(at::empty(sizes, p.options()));
}

}  // namespace

SkipInitScope::SkipInitScope() : saved_(t_skip_init) { t_skip_init = true; }
SkipInitScope::~SkipInitScope() { t_skip_init = saved_; }

torch::nn::Linear makeLinear(int64_t in, int64_t out, bool bias) {
  if (!t_skip_init) return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
  torch::nn::Linear l(torch::nn::LinearOptions(1, 1).bias(bias));
  resizeUninit(l->weight, {out, in});
  if (bias) resizeUninit(l->bias, {out});
  l->options.in_features(in).out_features(out);
  return l;
}

torch::nn::Conv2d makeConv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad) {
  if (!t_skip_init) return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(pad));
  torch::nn::Conv2d c(torch::nn::Conv2dOptions(1, 1, k).stride(stride).padding(pad));
  resizeUninit(c->weight, {out, in, k, k});
  resizeUninit(c->bias, {out});
  c->options.in_channels(in).out_channels(out);
  return c;
}

torch::nn::Embedding makeEmbedding(int64_t num, int64_t dim) {
  if (!t_skip_init) return torch::nn::Embedding(num, dim);
  torch::nn::Embedding e(1, 1);
  resizeUninit(e->weight, {num, dim});
  e->options.num_embeddings(num).embedding_dim(dim);
  return e;
}

}  // namespace atelier::sd::detail
