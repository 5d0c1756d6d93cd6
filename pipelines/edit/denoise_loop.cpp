#include "edit/denoise_loop.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "atelier/profiler.h"
#include "sd/txt2img.h"

namespace atelier::edit {

sd::StepInfo stepInfo(const Sampler& sampler, int i) {
  sd::StepInfo st;
  st.step = i;
  st.num_steps = sampler.numSteps();
  st.t = sampler.timestep(i);
  st.sigma = sampler.sigma(i);
  return st;
}

at::Tensor guidedOutput(EditModel& model, Sampler& sampler, const at::Tensor& x, int i, const at::Tensor& cond,
                        const at::Tensor& uncond, double guidance, sd::AttentionHook* hook) {
  // x: [n,4,h,w]; cond/uncond: [n,L,C]
  const sd::StepInfo st = stepInfo(sampler, i);
  if (guidance <= 1.0) {
    return model.unet(sampler.scaleModelInput(x, i), st.t, cond, hook, st);
  }
  at::Tensor in = sampler.scaleModelInput(at::cat({x, x}), i);
  at::Tensor out = model.unet(in, st.t, at::cat({uncond, cond}), hook, st);
  auto halves = out.chunk(2);
  return halves[0] + guidance * (halves[1] - halves[0]);
}

Result<at::Tensor> denoise(EditModel& model, Sampler& sampler, const DenoiseSpec& spec) {
  // spec.latents: [n,4,h,w]
  const int n_steps = sampler.numSteps();
  const int end = spec.end < 0 ? n_steps : std::min(spec.end, n_steps);
  if (spec.begin < 0 || spec.begin > end) {
    return Status::InvalidArgument("denoise: begin step " + std::to_string(spec.begin) + " outside [0, " +
                                   std::to_string(end) + "]");
  }
  if (spec.guidance > 1.0 && !spec.uncond.defined() && spec.uncond_per_step.empty()) {
    return Status::InvalidArgument("denoise: guidance > 1 needs an unconditional context");
  }
  at::Tensor x = spec.latents;
  for (int i = spec.begin; i < end; ++i) {
    if (spec.run && spec.run->cancelRequested()) { return Status::Cancelled("cancelled at step " + std::to_string(i)); }
    ATELIER_ZONE("edit.step");
    if (spec.before_step) { spec.before_step(i, x); }
    const at::Tensor& unc = spec.uncond_per_step.empty() ? spec.uncond : spec.uncond_per_step.at(i);
    at::Tensor out = guidedOutput(model, sampler, x, i, spec.cond, unc, spec.guidance, spec.hook);
    x = sampler.step(out, i, x);
    if (spec.after_step) { spec.after_step(i, x); }
    if (spec.run) {
      spec.run->reportProgress(i - spec.begin + 1, end - spec.begin, "denoise");
      if (spec.run->progress) { spec.run->progress->preview(sd::latentPreview(x.narrow(0, 0, 1).detach())); }
    }
  }
  return x;
}

}  // namespace atelier::edit
