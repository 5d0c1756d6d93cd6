// CLIP text transformer forward: pre-LN layers with causal self-attention and quick_gelu/gelu MLPs.
#include "sd/clip_text.h"

#include <ATen/ATen.h>
#include <torch/version.h>

#include <nlohmann/json.hpp>

#include "sd/nn_util.h"

namespace atelier::sd {

ClipTextConfig ClipTextConfig::sd15() { return ClipTextConfig{}; }

ClipTextConfig ClipTextConfig::sd21() {
  ClipTextConfig c;
  c.hidden_size = 1024;
  c.intermediate_size = 4096;
  c.num_heads = 16;
  c.num_layers = 23;
  c.hidden_act = "gelu";
  return c;
}

Result<ClipTextConfig> ClipTextConfig::fromJsonText(const std::string& text, const std::string& label) {
  ClipTextConfig c;
  try {
    auto j = nlohmann::json::parse(text);
    if (j.contains("text_config") && j["text_config"].is_object()) j = j["text_config"];   // full CLIPConfig
    c.vocab_size = j.value("vocab_size", c.vocab_size);
    c.hidden_size = j.value("hidden_size", c.hidden_size);
    c.intermediate_size = j.value("intermediate_size", c.intermediate_size);
    c.num_heads = j.value("num_attention_heads", c.num_heads);
    c.num_layers = j.value("num_hidden_layers", c.num_layers);
    c.max_positions = j.value("max_position_embeddings", c.max_positions);
    c.layer_norm_eps = j.value("layer_norm_eps", c.layer_norm_eps);
    c.hidden_act = j.value("hidden_act", c.hidden_act);
  } catch (const std::exception& e) {
    return Status::Corruption(label + ": invalid text encoder config: " + e.what());
  }
  if (c.hidden_act != "quick_gelu" && c.hidden_act != "gelu") {
    return Status::Unsupported(label + ": hidden_act '" + c.hidden_act + "' (expected quick_gelu or gelu)");
  }
  if (c.num_heads <= 0 || c.hidden_size % c.num_heads != 0 || c.num_layers <= 0 || c.vocab_size <= 0) {
    return Status::Corruption(label + ": inconsistent sizes (hidden_size must divide by num_attention_heads)");
  }
  return c;
}

ClipEmbeddingsImpl::ClipEmbeddingsImpl(const ClipTextConfig& c) {
  token_embedding = register_module("token_embedding", detail::makeEmbedding(c.vocab_size, c.hidden_size));
  position_embedding = register_module("position_embedding", detail::makeEmbedding(c.max_positions, c.hidden_size));
}

at::Tensor ClipEmbeddingsImpl::forward(const at::Tensor& ids) {
  // ids: [B,L] int64 → [B,L,C]
  const int64_t len = ids.size(1);
  return token_embedding->forward(ids) + position_embedding->weight.slice(0, 0, len).unsqueeze(0);
}

ClipAttentionImpl::ClipAttentionImpl(const ClipTextConfig& c) : heads(c.num_heads) {
  q_proj = register_module("q_proj", detail::makeLinear(c.hidden_size, c.hidden_size));
  k_proj = register_module("k_proj", detail::makeLinear(c.hidden_size, c.hidden_size));
  v_proj = register_module("v_proj", detail::makeLinear(c.hidden_size, c.hidden_size));
  out_proj = register_module("out_proj", detail::makeLinear(c.hidden_size, c.hidden_size));
}

at::Tensor ClipAttentionImpl::forward(const at::Tensor& x) {
  // x: [B,L,C] → [B,L,C], causal self-attention
  const int64_t b = x.size(0), l = x.size(1), c = x.size(2), d = c / heads;
  auto split = [&](const at::Tensor& t) { return t.view({b, l, heads, d}).transpose(1, 2); };   // [B,h,L,d]
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  at::Tensor q = split(q_proj->forward(x)), k = split(k_proj->forward(x)), v = split(v_proj->forward(x));
  at::Tensor o;
#if TORCH_VERSION_MAJOR >= 2
  o = at::scaled_dot_product_attention(q, k, v, {}, 0.0, /*is_causal=*/true);
#else
  at::Tensor scores = at::matmul(q * scale, k.transpose(-1, -2));
  at::Tensor mask = at::full({l, l}, -std::numeric_limits<float>::infinity(), scores.options()).triu(1);
  o = at::matmul(at::softmax(scores + mask, -1), v);
#endif
  (void)scale;
  return out_proj->forward(o.transpose(1, 2).reshape({b, l, c}));
}

ClipMlpImpl::ClipMlpImpl(const ClipTextConfig& c) : quick_gelu(c.hidden_act == "quick_gelu") {
  fc1 = register_module("fc1", detail::makeLinear(c.hidden_size, c.intermediate_size));
  fc2 = register_module("fc2", detail::makeLinear(c.intermediate_size, c.hidden_size));
}

at::Tensor ClipMlpImpl::forward(const at::Tensor& x) {
  // x: [B,L,C] → [B,L,C]
  at::Tensor h = fc1->forward(x);
  h = quick_gelu ? h * at::sigmoid(h * 1.702) : at::gelu(h);
  return fc2->forward(h);
}

ClipEncoderLayerImpl::ClipEncoderLayerImpl(const ClipTextConfig& c) {
  auto ln = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)); };
  self_attn = register_module("self_attn", ClipAttention(c));
  layer_norm1 = register_module("layer_norm1", ln());
  mlp = register_module("mlp", ClipMlp(c));
  layer_norm2 = register_module("layer_norm2", ln());
}

at::Tensor ClipEncoderLayerImpl::forward(const at::Tensor& x) {
  // x: [B,L,C] → [B,L,C]
  at::Tensor h = x + self_attn->forward(layer_norm1->forward(x));
  return h + mlp->forward(layer_norm2->forward(h));
}

ClipEncoderImpl::ClipEncoderImpl(const ClipTextConfig& c) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_layers; ++i) layers->push_back(ClipEncoderLayer(c));
}

ClipTextModelImpl::ClipTextModelImpl(const ClipTextConfig& c) : cfg_(c) {
  embeddings = register_module("embeddings", ClipEmbeddings(c));
  encoder = register_module("encoder", ClipEncoder(c));
  final_layer_norm = register_module(
      "final_layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
}

at::Tensor ClipTextModelImpl::hiddenState(const at::Tensor& ids, int k, bool apply_final_ln) {
  // ids: [B,L] int64 → [B,L,C]
  const int64_t n = static_cast<int64_t>(encoder->layers->size());
  ATELIER_ASSERT(k >= 1 && k <= n + 1, "hidden state index out of range");
  at::Tensor x = embeddings->forward(ids);
  const int64_t run = n + 1 - k;   // number of layers to apply
  for (int64_t i = 0; i < run; ++i) x = encoder->layers[i]->as<ClipEncoderLayer>()->forward(x);
  return apply_final_ln ? final_layer_norm->forward(x) : x;
}

at::Tensor ClipTextModelImpl::forward(const at::Tensor& ids) {
  // ids: [B,L] int64 → [B,L,C]
  return hiddenState(ids, 1, true);
}

}  // namespace atelier::sd
