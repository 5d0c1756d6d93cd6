#include "edit/compose.h"

#include <ATen/ATen.h>

#include <memory>

#include "atelier/profiler.h"
#include "edit/denoise_loop.h"
#include "edit/inversion.h"
#include "edit/regional_attention.h"

namespace atelier::edit {
namespace {

// Reference image resized into its box on a mid-grey canvas: [1,3,H,W] in [0,1].
at::Tensor referenceCanvas(const Layout& L, const LayoutRegion& r) {
  at::Tensor img = r.image.to(at::kCPU, at::kFloat);
  if (img.dim() == 3) { img = img.unsqueeze(0); }
  if (img.size(1) == 1) { img = img.expand({1, 3, img.size(2), img.size(3)}); }
  img = img.narrow(1, 0, 3);
  at::Tensor fit = at::upsample_bilinear2d(img, {r.y1 - r.y0, r.x1 - r.x0}, /*align_corners=*/false).clamp(0, 1);
  at::Tensor canvas = at::full({1, 3, L.height, L.width}, 0.5f);
  canvas.narrow(2, r.y0, r.y1 - r.y0).narrow(3, r.x0, r.x1 - r.x0).copy_(fit);
  return canvas;
}

}  // namespace

Result<EditOutput> runCompose(EditModel& model, const Layout& layout, const ComposeOptions& opt,
                              const RunContext* run) {
  // layout → image [1,3,H,W]
  ATELIER_ZONE("edit.compose");
  const int64_t f = model.vaeScaleFactor();
  if (layout.width % f != 0 || layout.height % f != 0 || layout.width <= 0 || layout.height <= 0) {
    return Status::InvalidArgument("compose: layout size must be a positive multiple of " + std::to_string(f));
  }
  ATELIER_ASSIGN_OR_RETURN(auto sampler, model.makeSampler(opt.sampler, opt.steps));
  const int n = sampler->numSteps();
  const int64_t h = layout.height / f, w = layout.width / f;
  ATELIER_ASSIGN_OR_RETURN(at::Tensor c_glob, encodeOne(model, layout.prompt));
  ATELIER_ASSIGN_OR_RETURN(at::Tensor unc, encodeOne(model, layout.negative));
  std::vector<at::Tensor> blocks{c_glob}, ublocks{unc};
  std::vector<at::Tensor> region_ctx;
  for (const auto& r : layout.regions) {
    ATELIER_ASSIGN_OR_RETURN(at::Tensor c, encodeOne(model, r.prompt));
    blocks.push_back(c);
    ublocks.push_back(unc);
    region_ctx.push_back(c);
  }
  const at::Tensor ctx = at::cat(blocks, 1), uctx = at::cat(ublocks, 1);   // [1,77(k+1),C]

  RegionalConfig rc;
  rc.layout = layout;
  for (auto& r : rc.layout.regions) { r.image = at::Tensor(); }
  rc.cfg = opt.guidance > 1.0;
  rc.region_sees_global = opt.region_sees_global;
  rc.share_end = static_cast<int>(n * opt.ref_share);
  rc.ctx_tokens = c_glob.size(1);

  // Reference branches: trajectory per step (inversion under the region prompt, or noised with fixed noise).
  std::vector<std::vector<at::Tensor>> ref_traj;
  for (size_t r = 0; r < layout.regions.size(); ++r) {
    const auto& reg = layout.regions[r];
    if (!reg.image.defined()) { continue; }
    ATELIER_ASSIGN_OR_RETURN(at::Tensor z_ref, model.encodeImage(referenceCanvas(layout, reg).to(model.device())));
    std::vector<at::Tensor> traj;
    if (sampler->statelessStep()) {
      ATELIER_ASSIGN_OR_RETURN(traj, ddimInvert(model, *sampler, z_ref, region_ctx[r], run));
    } else {
      const at::Tensor eps = seededNoise(opt.seed + 7919 * static_cast<int64_t>(r + 1), z_ref);
      for (int i = 0; i < n; ++i) { traj.push_back(sampler->addNoise(z_ref, eps, i)); }
    }
    rc.ref_region.push_back(static_cast<int>(r));
    ref_traj.push_back(std::move(traj));
  }
  const int64_t nb = 1 + static_cast<int64_t>(ref_traj.size());
  RegionalAttention regional(rc);
  sd::HookChain chain;   // non-owning: both hooks outlive the loop
  chain.add(std::shared_ptr<sd::AttentionHook>(&regional, [](sd::AttentionHook*) {}));
  if (opt.extra_hook) { chain.add(std::shared_ptr<sd::AttentionHook>(opt.extra_hook, [](sd::AttentionHook*) {})); }

  DenoiseSpec spec;
  at::Tensor z = model.noise(opt.seed, h, w) * sampler->initNoiseSigma();
  std::vector<at::Tensor> init{z};
  for (const auto& t : ref_traj) { init.push_back(t[0]); }
  spec.latents = at::cat(init);
  spec.cond = ctx.expand({nb, -1, -1}).contiguous();
  spec.uncond = uctx.expand({nb, -1, -1}).contiguous();
  spec.guidance = opt.guidance;
  spec.hook = &chain;
  spec.run = run;
  if (!ref_traj.empty()) {
    spec.before_step = [&ref_traj](int i, at::Tensor& x) {
      std::vector<at::Tensor> parts{x.narrow(0, 0, 1)};
      for (const auto& t : ref_traj) { parts.push_back(t[i]); }
      x = at::cat(parts);
    };
  }
  ATELIER_ASSIGN_OR_RETURN(at::Tensor lat, denoise(model, *sampler, spec));
  EditOutput out;
  out.sampler = sampler->name();
  out.start_latents = z;
  out.latents = lat.narrow(0, 0, 1);
  ATELIER_ASSIGN_OR_RETURN(out.image, model.decodeLatents(out.latents));
  return out;
}

}  // namespace atelier::edit
