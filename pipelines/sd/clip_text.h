// CLIP text transformer (transformers' CLIPTextModel; sd-engine.md §3.3). Parameter names mirror the checkpoint
// without the "text_model." prefix (embeddings.*, encoder.layers.N.*, final_layer_norm.*).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <string>

#include "atelier/status.h"

namespace atelier::sd {

struct ClipTextConfig {
  int64_t vocab_size = 49408, hidden_size = 768, intermediate_size = 3072, num_heads = 12, num_layers = 12;
  int64_t max_positions = 77;
  double layer_norm_eps = 1e-5;
  std::string hidden_act = "quick_gelu";   // "quick_gelu" | "gelu"
  static ClipTextConfig sd15();            // CLIP ViT-L/14 text
  static ClipTextConfig sd21();            // OpenCLIP ViT-H text as shipped in diffusers folders (23 layers, gelu)
  // Parses a transformers CLIPTextConfig config.json (label names the file in errors).
  static Result<ClipTextConfig> fromJsonText(const std::string& json_text, const std::string& label);
};

class ClipEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit ClipEmbeddingsImpl(const ClipTextConfig& c);
  at::Tensor forward(const at::Tensor& ids);
  torch::nn::Embedding token_embedding{nullptr}, position_embedding{nullptr};
};
TORCH_MODULE(ClipEmbeddings);

class ClipAttentionImpl : public torch::nn::Module {
 public:
  explicit ClipAttentionImpl(const ClipTextConfig& c);
  at::Tensor forward(const at::Tensor& x);
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};
  int64_t heads;
};
TORCH_MODULE(ClipAttention);

class ClipMlpImpl : public torch::nn::Module {
 public:
  explicit ClipMlpImpl(const ClipTextConfig& c);
  at::Tensor forward(const at::Tensor& x);
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  bool quick_gelu;
};
TORCH_MODULE(ClipMlp);

class ClipEncoderLayerImpl : public torch::nn::Module {
 public:
  explicit ClipEncoderLayerImpl(const ClipTextConfig& c);
  at::Tensor forward(const at::Tensor& x);
  ClipAttention self_attn{nullptr};
  torch::nn::LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr};
  ClipMlp mlp{nullptr};
};
TORCH_MODULE(ClipEncoderLayer);

class ClipEncoderImpl : public torch::nn::Module {
 public:
  explicit ClipEncoderImpl(const ClipTextConfig& c);
  torch::nn::ModuleList layers;
};
TORCH_MODULE(ClipEncoder);

class ClipTextModelImpl : public torch::nn::Module {
 public:
  explicit ClipTextModelImpl(const ClipTextConfig& c);
  // ids: [B,77] int64 → last_hidden_state [B,77,C] (final_layer_norm applied).
  at::Tensor forward(const at::Tensor& ids);
  // transformers' hidden_states[-k] (k ≥ 1: output of layer N-k+1; k = N+1 the embeddings), optionally followed by
  // final_layer_norm. k = 1 with the LN equals forward(); SD2 / clip-skip 2 is k = 2 with the LN.
  at::Tensor hiddenState(const at::Tensor& ids, int k, bool apply_final_ln);
  const ClipTextConfig& config() const { return cfg_; }

  ClipEmbeddings embeddings{nullptr};
  ClipEncoder encoder{nullptr};
  torch::nn::LayerNorm final_layer_norm{nullptr};

 private:
  ClipTextConfig cfg_;
};
TORCH_MODULE(ClipTextModel);

}  // namespace atelier::sd
