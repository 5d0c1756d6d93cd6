#include "edit/sdedit.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "atelier/profiler.h"
#include "edit/denoise_loop.h"

namespace atelier::edit {

int sdeditBeginIndex(int steps, double strength) {
  const int init = std::min(static_cast<int>(steps * strength), steps);   // Python int() truncates toward 0
  return std::max(steps - init, 0);
}

Result<EditOutput> runSdEdit(EditModel& model, const at::Tensor& image, const SdEditOptions& opt,
                             const RunContext* run, sd::AttentionHook* hook) {
  // image: [1,3,H,W] in [0,1] → edited [1,3,H,W]
  ATELIER_ZONE("edit.sdedit");
  ATELIER_RETURN_IF_ERROR(checkImage(image, "sdedit input image"));
  if (!(opt.strength >= 0.0 && opt.strength <= 1.0)) {
    return Status::InvalidArgument("sdedit: strength " + std::to_string(opt.strength) + " outside [0, 1]");
  }
  ATELIER_ASSIGN_OR_RETURN(at::Tensor z0, model.encodeImage(image));
  ATELIER_ASSIGN_OR_RETURN(auto sampler, model.makeSampler(opt.common.sampler, opt.common.steps));
  EditOutput out;
  out.sampler = sampler->name();
  const int begin = sdeditBeginIndex(opt.common.steps, opt.strength);
  if (begin >= sampler->numSteps()) {   // strength 0: no UNet call, plain VAE round trip
    out.latents = z0;
    ATELIER_ASSIGN_OR_RETURN(out.image, model.decodeLatents(z0));
    return out;
  }
  ATELIER_ASSIGN_OR_RETURN(at::Tensor cond, encodeOne(model, opt.common.prompt));
  ATELIER_ASSIGN_OR_RETURN(at::Tensor uncond, encodeOne(model, opt.common.negative));
  sampler->setBeginIndex(begin);
  const at::Tensor eps = model.noise(opt.common.seed, z0.size(2), z0.size(3));
  DenoiseSpec spec;
  spec.latents = sampler->addNoise(z0, eps, begin);
  spec.cond = cond;
  spec.uncond = uncond;
  spec.guidance = opt.common.guidance;
  spec.begin = begin;
  spec.hook = hook;
  spec.run = run;
  ATELIER_ASSIGN_OR_RETURN(out.latents, denoise(model, *sampler, spec));
  ATELIER_ASSIGN_OR_RETURN(out.image, model.decodeLatents(out.latents));
  return out;
}

}  // namespace atelier::edit
