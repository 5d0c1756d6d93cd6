// Attention-control API (sd-engine.md §10): every UNet attention call knows its site and the sampling step,
// and a hook may read/replace Q/K/V, pre-softmax scores, probabilities and the output.
// A site with no hook that wants it uses the fused path (SDPA on LibTorch ≥ 2); a wanted site uses the explicit
// softmax(q kᵀ·scale) path so probabilities exist. Autograd flows through both.
// Thread-safety: hooks are called on the runner thread only.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace atelier::sd {

enum class UNetPart { kInvalid = 0, kDown, kMid, kUp };

struct AttnSite {
  int block_idx = -1;       // transformer block index in call order (0..15 for SD1/2: 0-5 down, 6 mid, 7-15 up)
  bool is_cross = false;    // attn2 (cross) vs attn1 (self)
  UNetPart part = UNetPart::kInvalid;
  std::string name;         // module path, e.g. "down_blocks.0.attentions.1.transformer_blocks.0.attn2"
  int64_t h = 0, w = 0;     // spatial size of the query grid
  int64_t heads = 0, head_dim = 0;
};

struct StepInfo {
  int step = 0, num_steps = 0;   // index in the sampling loop; -1 when outside a loop
  double t = 0, sigma = 0;       // model timestep and the scheduler's sigma (0 when not applicable)
};

class AttentionHook {
 public:
  virtual ~AttentionHook() = default;
  virtual bool wants(const AttnSite& site, const StepInfo& step) const = 0;
  // q: [B·h, Nq, d], k/v: [B·h, Nk, d] (heads split). May replace tensors or concatenate along tokens.
  virtual void onQKV(const AttnSite&, const StepInfo&, at::Tensor& q, at::Tensor& k, at::Tensor& v) {}
  // scores: [B·h, Nq, Nk] pre-softmax (already scaled). Add masks here.
  virtual void onScores(const AttnSite&, const StepInfo&, at::Tensor& scores) {}
  // probs: [B·h, Nq, Nk] after softmax. Read, store, replace or reweight.
  virtual void onProbs(const AttnSite&, const StepInfo&, at::Tensor& probs) {}
  // out: [B, Nq, h·d] before to_out.
  virtual void onOutput(const AttnSite&, const StepInfo&, at::Tensor& out) {}
};

// Feature hook (PnP): resnet conv2 output before the residual add. name = module path.
class FeatureHook {
 public:
  virtual ~FeatureHook() = default;
  virtual void onResnetOut(const std::string& name, const StepInfo& step, at::Tensor& h) = 0;
};

// Per-step latent callback after scheduler.step (diffusers callback_on_step_end): blend, warp, preview, cancel.
// Return false to cancel sampling.
using StepCallback = std::function<bool(const StepInfo& step, at::Tensor& latents, const at::Tensor& x0_pred)>;

// Runs several hooks at one site in order (a site is wanted when any hook wants it).
class HookChain : public AttentionHook {
 public:
  void add(std::shared_ptr<AttentionHook> h) { hooks_.push_back(std::move(h)); }
  bool empty() const { return hooks_.empty(); }
  bool wants(const AttnSite& s, const StepInfo& st) const override {
    for (const auto& h : hooks_) { if (h->wants(s, st)) return true; }
    return false;
  }
  void onQKV(const AttnSite& s, const StepInfo& st, at::Tensor& q, at::Tensor& k, at::Tensor& v) override {
    for (auto& h : hooks_) { if (h->wants(s, st)) h->onQKV(s, st, q, k, v); }
  }
  void onScores(const AttnSite& s, const StepInfo& st, at::Tensor& x) override {
    for (auto& h : hooks_) { if (h->wants(s, st)) h->onScores(s, st, x); }
  }
  void onProbs(const AttnSite& s, const StepInfo& st, at::Tensor& x) override {
    for (auto& h : hooks_) { if (h->wants(s, st)) h->onProbs(s, st, x); }
  }
  void onOutput(const AttnSite& s, const StepInfo& st, at::Tensor& x) override {
    for (auto& h : hooks_) { if (h->wants(s, st)) h->onOutput(s, st, x); }
  }
 private:
  std::vector<std::shared_ptr<AttentionHook>> hooks_;
};

}  // namespace atelier::sd
