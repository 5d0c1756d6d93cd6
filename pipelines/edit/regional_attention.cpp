#include "edit/regional_attention.h"

#include <ATen/ATen.h>

#include <limits>

namespace atelier::edit {

bool RegionalAttention::wants(const sd::AttnSite& site, const sd::StepInfo& step) const {
  if (site.is_cross) { return true; }
  return !cfg_.ref_region.empty() && site.part == sd::UNetPart::kUp && step.step >= cfg_.share_begin &&
         step.step < cfg_.share_end;
}

void RegionalAttention::onQKV(const sd::AttnSite& site, const sd::StepInfo& step, at::Tensor& q, at::Tensor& k,
                              at::Tensor& v) {
  // k, v: [B·h, N, d] → [B·h, N·(1+m), d] (self sites only)
  if (site.is_cross) { return; }
  const int64_t B = batch(), nb = branches(), m = nb - 1;
  auto extend = [&](const at::Tensor& x) {
    const int64_t heads = x.size(0) / B, n = x.size(1), d = x.size(2);
    at::Tensor x4 = x.view({B, heads, n, d});
    std::vector<at::Tensor> rows;
    for (int64_t half = 0; half < B / nb; ++half) {
      at::Tensor refs = x4.narrow(0, half * nb + 1, m).permute({1, 0, 2, 3}).reshape({heads, m * n, d});
      for (int64_t j = 0; j < nb; ++j) { rows.push_back(at::cat({x4[half * nb + j], refs}, 1)); }
    }
    return at::stack(rows).view({B * heads, n * nb, d});
  };
  k = extend(k);
  v = extend(v);
}

at::Tensor RegionalAttention::bias(bool cross, int64_t h, int64_t w) {
  auto key = std::make_pair(cross, h * w);
  auto it = cache_.find(key);
  if (it != cache_.end()) { return it->second; }
  const int64_t B = batch(), nb = branches(), n = h * w, L = cfg_.ctx_tokens;
  const int64_t k = static_cast<int64_t>(cfg_.layout.regions.size());
  const at::Tensor groups = regionGroups(cfg_.layout, h, w);          // [n], 0 = global
  at::Tensor allowed = at::zeros({B, n, cross ? L * (k + 1) : n * nb}, at::kBool);
  for (int64_t e = 0; e < B; ++e) {
    const bool uncond_half = cfg_.cfg && e < nb;
    const int64_t j = e % nb;                                          // 0 = output, ≥1 = reference j
    if (cross) {
      const at::Tensor kg = at::arange(L * (k + 1), at::kLong).div(L, "floor");   // key → prompt block
      if (uncond_half) {
        allowed[e] = (kg == 0).unsqueeze(0).expand({n, -1});
      } else if (j == 0) {
        at::Tensor a = kg.unsqueeze(0) == groups.unsqueeze(1);
        if (cfg_.region_sees_global) { a = a | ((kg.unsqueeze(0) == 0) & (groups.unsqueeze(1) > 0)); }
        allowed[e] = a;
      } else {
        allowed[e] = (kg == cfg_.ref_region[j - 1] + 1).unsqueeze(0).expand({n, -1});
      }
    } else {
      const at::Tensor owner = at::arange(n * nb, at::kLong).div(n, "floor");
      const at::Tensor tok = at::arange(n * nb, at::kLong).remainder(n);
      at::Tensor a = (owner == 0).unsqueeze(0).expand({n, -1}).clone();
      if (j == 0) {
        for (int64_t r = 1; r < nb; ++r) {
          const int64_t grp = cfg_.ref_region[r - 1] + 1;
          const at::Tensor key_ok = (owner == r) & (groups.index_select(0, tok) == grp);
          a = a | ((groups == grp).unsqueeze(1) & key_ok.unsqueeze(0));
        }
      }
      allowed[e] = a;
    }
  }
  at::Tensor b = at::zeros(allowed.sizes(), at::kFloat)
                     .masked_fill(allowed.logical_not(), -std::numeric_limits<float>::infinity())
                     .unsqueeze(1);
  cache_[key] = b;
  return b;
}

void RegionalAttention::onScores(const sd::AttnSite& site, const sd::StepInfo& step, at::Tensor& scores) {
  // scores: [B·h, Nq, Nk]
  const int64_t B = batch();
  at::Tensor b = bias(site.is_cross, site.h, site.w).to(scores.device(), scores.scalar_type());
  if (b.size(3) != scores.size(2) || b.size(2) != scores.size(1) || scores.size(0) % B != 0) {
    return;   // unexpected layout (e.g. a caller-provided context of another length): leave untouched
  }
  scores = (scores.view({B, -1, scores.size(1), scores.size(2)}) + b).view_as(scores);
}

}  // namespace atelier::edit
