#include "edit/p2p_controller.h"

#include <ATen/ATen.h>

namespace atelier::edit {

bool P2PController::wants(const sd::AttnSite& site, const sd::StepInfo& step) const {
  if (site.is_cross) {
    return crossActive(step.step) || (cfg_.store_maps && site.part != sd::UNetPart::kMid);
  }
  return selfActive(step.step) && site.h * site.w <= cfg_.self_max_tokens;
}

void P2PController::onProbs(const sd::AttnSite& site, const sd::StepInfo& step, at::Tensor& probs) {
  // probs: [B·h, Nq, Nk], B = 4 ([u_src, u_tgt, c_src, c_tgt]) or 2
  const int64_t batch = cfg_.cfg ? 4 : 2;
  const int64_t heads = probs.size(0) / batch;
  const int64_t c0 = cfg_.cfg ? 2 : 0;
  at::Tensor p = probs.view({batch, heads, probs.size(1), probs.size(2)});
  if (site.is_cross && cfg_.store_maps && site.part != sd::UNetPart::kMid) {
    // [2,h,Nq,77] → sum over heads → [2,77,h,w]
    at::Tensor m = p.narrow(0, c0, 2).sum(1).transpose(1, 2).reshape({2, probs.size(2), site.h, site.w});
    auto key = site.h * site.w;
    auto it = store_.find(key);
    if (it == store_.end()) {
      store_[key] = m.detach().to(at::kFloat).clone();
    } else {
      it->second.add_(m.detach().to(at::kFloat));
    }
  }
  const at::Tensor base = p[c0];
  at::Tensor target;
  if (site.is_cross) {
    if (!crossActive(step.step)) { return; }
    const at::Tensor own = p[c0 + 1];
    switch (cfg_.mode) {
      case P2PMode::kReplace: target = at::matmul(base, cfg_.mapper.to(base.options())); break;
      case P2PMode::kRefine: {
        const at::Tensor a = cfg_.alphas.to(base.options());
        target = base.index_select(-1, cfg_.mapper.to(base.device())) * a + own * (1 - a);
        break;
      }
      default: target = base; break;
    }
    if (cfg_.equalizer.defined()) { target = target * cfg_.equalizer.to(base.options()); }
  } else {
    target = base;
  }
  at::Tensor out = p.clone();
  out[c0 + 1].copy_(target);
  probs = out.view_as(probs);
}

at::Tensor P2PController::blendMaps() const {
  if (store_.empty()) { return {}; }
  return store_.begin()->second;   // smallest h·w first
}

at::Tensor localBlendMask(const at::Tensor& maps, const at::Tensor& token_mask, int64_t H, int64_t W,
                          double threshold) {
  // maps: [2,77,h,w]; token_mask: [2,77] → [1,1,H,W]
  at::Tensor tm = token_mask.to(maps.options()).view({2, -1, 1, 1});
  at::Tensor m = (maps * tm).sum(1, /*keepdim=*/true);                  // [2,1,h,w]
  m = at::max_pool2d(m, {3, 3}, {1, 1}, {1, 1});
  m = at::upsample_nearest2d(m, {H, W});
  at::Tensor mx = m.amax({2, 3}, /*keepdim=*/true).clamp_min(1e-12);
  at::Tensor bin = (m / mx).gt(threshold);
  return (bin[0] | bin[1]).to(at::kFloat).unsqueeze(0);
}

}  // namespace atelier::edit
