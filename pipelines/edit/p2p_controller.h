// Prompt-to-Prompt attention controller (editing-methods.md A4): an AttentionHook over the batch
// [uncond: src, tgt | cond: src, tgt] (or [src, tgt] without CFG) that edits the cond-half target maps:
// cross maps replaced (word swap: src @ mapper; refine: aligned src tokens, new tokens keep their own),
// optionally re-weighted, for the steps in [cross_begin, cross_end); self maps (≤ 16² queries) copied from the
// source for [self_begin, self_end). Also accumulates cross maps for LocalBlend.
// Thread-safety: runner thread only.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>

#include "sd/attention_hook.h"

namespace atelier::edit {

enum class P2PMode { kInvalid = 0, kReplace, kRefine, kReweightOnly };

struct P2PConfig {
  P2PMode mode = P2PMode::kReplace;
  at::Tensor mapper;             // replace: [77,77] fp32; refine: [77] int64
  at::Tensor alphas;             // refine: [77] fp32
  at::Tensor equalizer;          // optional [77] fp32 multipliers on the target's cross maps
  int cross_begin = 0, cross_end = 0;   // step range with cross-attention replacement
  int self_begin = 0, self_end = 0;     // step range with self-attention replacement
  int64_t self_max_tokens = 16 * 16;    // self maps replaced only at ≤ this many queries (ptp)
  bool cfg = true;                      // batch holds an uncond half first
  bool store_maps = false;              // accumulate cross maps for LocalBlend
};

class P2PController : public sd::AttentionHook {
 public:
  explicit P2PController(P2PConfig cfg) : cfg_(std::move(cfg)) {}
  bool wants(const sd::AttnSite& site, const sd::StepInfo& step) const override;
  void onProbs(const sd::AttnSite& site, const sd::StepInfo& step, at::Tensor& probs) override;
  // Accumulated cond-half cross maps at the coarsest non-mid resolution: [2,77,h,w] (sum over heads, layers,
  // steps); undefined when nothing was stored.
  at::Tensor blendMaps() const;

 private:
  bool crossActive(int step) const { return step >= cfg_.cross_begin && step < cfg_.cross_end; }
  bool selfActive(int step) const { return step >= cfg_.self_begin && step < cfg_.self_end; }
  P2PConfig cfg_;
  std::map<int64_t, at::Tensor> store_;   // keyed by h·w → [2,77,h,w]
};

// LocalBlend (ptp): from accumulated maps [2,77,h,w] and per-branch token masks [2,77], a binary latent mask
// [1,1,H,W] (3×3 max-pool, nearest resize, normalise by max, > threshold, union over both branches).
at::Tensor localBlendMask(const at::Tensor& maps, const at::Tensor& token_mask, int64_t H, int64_t W,
                          double threshold);

}  // namespace atelier::edit
