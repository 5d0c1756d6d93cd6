#include "edit/inpaint.h"

#include <ATen/ATen.h>

#include "atelier/profiler.h"
#include "edit/denoise_loop.h"

namespace atelier::edit {

Result<EditOutput> runInpaint(EditModel& model, const at::Tensor& image, const at::Tensor& mask,
                              const InpaintOptions& opt, const RunContext* run) {
  // image: [1,3,H,W]; mask: [1,1,H,W] → [1,3,H,W]
  ATELIER_ZONE("edit.inpaint");
  ATELIER_RETURN_IF_ERROR(checkImage(image, "inpaint input image"));
  if (!mask.defined() || mask.dim() != 4 || mask.size(2) != image.size(2) || mask.size(3) != image.size(3)) {
    return Status::InvalidArgument("inpaint: mask must be [1,C,H,W] with the input image's size");
  }
  if (!(opt.blend_start >= 0.0 && opt.blend_start < 1.0)) {
    return Status::InvalidArgument("inpaint: blend_start must be in [0, 1)");
  }
  ATELIER_ASSIGN_OR_RETURN(at::Tensor z_src, model.encodeImage(image));
  ATELIER_ASSIGN_OR_RETURN(auto sampler, model.makeSampler(opt.common.sampler, opt.common.steps));
  ATELIER_ASSIGN_OR_RETURN(at::Tensor cond, encodeOne(model, opt.common.prompt));
  ATELIER_ASSIGN_OR_RETURN(at::Tensor uncond, encodeOne(model, opt.common.negative));
  const at::Tensor m = latentMask(mask, z_src.size(2), z_src.size(3)).to(z_src.device(), z_src.scalar_type());
  const int n = sampler->numSteps();
  const int begin = static_cast<int>(n * opt.blend_start);
  sampler->setBeginIndex(begin);
  // Pure noise at the first timestep run (BLD starts from noise and skips the first steps).
  const at::Tensor eps0 = model.noise(opt.common.seed, z_src.size(2), z_src.size(3));
  DenoiseSpec spec;
  spec.latents = sampler->addNoise(at::zeros_like(z_src), eps0, begin);
  spec.cond = cond;
  spec.uncond = uncond;
  spec.guidance = opt.common.guidance;
  spec.begin = begin;
  spec.run = run;
  Sampler* s = sampler.get();
  // The blend noise stream is separate from the initial noise (seed + 1) so both are reproducible.
  auto gen_seed = opt.common.seed + 1;
  int64_t draws = 0;
  spec.after_step = [&](int i, at::Tensor& x) {
    const at::Tensor eps = seededNoise(gen_seed * 1000003 + draws++, z_src);
    at::Tensor src;
    if (opt.noise_to_next) {
      src = i + 1 < n ? s->addNoise(z_src, eps, i + 1) : z_src;
    } else {
      src = s->addNoise(z_src, eps, i);
    }
    x = x * m + src * (1 - m);
    if (opt.observer) { opt.observer(i, x, eps, m); }
  };
  EditOutput out;
  out.sampler = sampler->name();
  ATELIER_ASSIGN_OR_RETURN(out.latents, denoise(model, *sampler, spec));
  ATELIER_ASSIGN_OR_RETURN(out.image, model.decodeLatents(out.latents));
  return out;
}

}  // namespace atelier::edit
