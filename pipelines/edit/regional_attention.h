// Region-masked attention for layout composition (the LAMIC idea on an SD UNet, editing-methods.md A9).
// Batch: [uncond: out, ref_1..ref_m | cond: out, ref_1..ref_m] (no uncond half without CFG); the text context
// is the concatenation [c_global; c_region0; …] (77 tokens each; the uncond context repeats the negative).
// Cross-attention: additive −inf on scores so each output token in region r attends only to region r's prompt
// tokens (optionally also the global ones), tokens outside all regions to the global prompt, ref branch j only
// to its region's prompt and uncond rows only to the first 77 tokens. Self-attention (up blocks, steps in
// [share_begin, share_end)): keys/values become [own; ref_1; …; ref_m] and an output query in region r may see
// reference j's tokens only when j belongs to r and the key token lies in r.
// Thread-safety: runner thread only.
#pragma once

#include <ATen/core/Tensor.h>

#include <climits>
#include <map>
#include <vector>

#include "edit/layout.h"
#include "sd/attention_hook.h"

namespace atelier::edit {

struct RegionalConfig {
  Layout layout;                      // boxes (images unused)
  std::vector<int> ref_region;        // region index of each reference branch (m = size)
  bool cfg = true;
  bool region_sees_global = false;    // region tokens also attend to the global prompt
  int share_begin = 0, share_end = INT_MAX;   // steps with reference K/V sharing
  int64_t ctx_tokens = 77;            // tokens per prompt block
};

class RegionalAttention : public sd::AttentionHook {
 public:
  explicit RegionalAttention(RegionalConfig cfg) : cfg_(std::move(cfg)) {}
  bool wants(const sd::AttnSite& site, const sd::StepInfo& step) const override;
  void onQKV(const sd::AttnSite& site, const sd::StepInfo& step, at::Tensor& q, at::Tensor& k, at::Tensor& v) override;
  void onScores(const sd::AttnSite& site, const sd::StepInfo& step, at::Tensor& scores) override;
  // Additive bias [B,1,h·w,Nk] (0 allowed, −inf blocked) for a cross or self site of an h×w grid.
  at::Tensor bias(bool cross, int64_t h, int64_t w);

 private:
  int64_t branches() const { return 1 + static_cast<int64_t>(cfg_.ref_region.size()); }
  int64_t batch() const { return branches() * (cfg_.cfg ? 2 : 1); }
  RegionalConfig cfg_;
  std::map<std::pair<bool, int64_t>, at::Tensor> cache_;   // (cross, h·w) → bias (CPU fp32)
};

}  // namespace atelier::edit
