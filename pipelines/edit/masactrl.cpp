#include "edit/masactrl.h"

#include <ATen/ATen.h>

#include "atelier/profiler.h"
#include "edit/denoise_loop.h"
#include "edit/inversion.h"

namespace atelier::edit {

bool MasaCtrlHook::wants(const sd::AttnSite& site, const sd::StepInfo& step) const {
  return !site.is_cross && step.step >= start_step_ && site.block_idx >= start_layer_;
}

void MasaCtrlHook::onQKV(const sd::AttnSite& site, const sd::StepInfo& step, at::Tensor& q, at::Tensor& k,
                         at::Tensor& v) {
  // k, v: [B·h, N, d] with B = 4 ([u_src, u_tgt, c_src, c_tgt]) or 2 ([src, tgt])
  const int64_t batch = cfg_ ? 4 : 2;
  auto share = [batch](const at::Tensor& x) {
    at::Tensor x4 = x.view({batch, -1, x.size(1), x.size(2)});
    std::vector<at::Tensor> parts;
    for (int64_t b = 0; b < batch; b += 2) {
      parts.push_back(x4[b]);
      parts.push_back(x4[b]);   // target takes the source's keys/values
    }
    return at::stack(parts).view_as(x);
  };
  k = share(k);
  v = share(v);
}

Result<EditOutput> runMasaCtrl(EditModel& model, const at::Tensor& image, const MasaCtrlOptions& opt,
                               const RunContext* run) {
  // image: [1,3,H,W] or undefined → target [1,3,H,W]
  ATELIER_ZONE("edit.masactrl");
  const bool have_image = image.defined();
  if (have_image) { ATELIER_RETURN_IF_ERROR(checkImage(image, "masactrl input image")); }
  std::string sampler_name = opt.common.sampler;
  if (have_image && sampler_name.empty()) { sampler_name = "ddim"; }
  ATELIER_ASSIGN_OR_RETURN(auto sampler, model.makeSampler(sampler_name, opt.common.steps));
  ATELIER_ASSIGN_OR_RETURN(at::Tensor c_src, encodeOne(model, opt.source_prompt));
  ATELIER_ASSIGN_OR_RETURN(at::Tensor c_tgt, encodeOne(model, opt.common.prompt));
  ATELIER_ASSIGN_OR_RETURN(at::Tensor unc, encodeOne(model, opt.common.negative));
  at::Tensor z_t;
  if (have_image) {
    if (!sampler->statelessStep()) {
      return Status::InvalidArgument("masactrl: editing an input image needs the ddim sampler (DDIM inversion)");
    }
    ATELIER_ASSIGN_OR_RETURN(at::Tensor z0, model.encodeImage(image));
    ATELIER_ASSIGN_OR_RETURN(auto traj, ddimInvert(model, *sampler, z0, c_src, run));
    z_t = traj[0];
  } else {
    z_t = model.noise(opt.common.seed, model.defaultSize() / model.vaeScaleFactor(), model.defaultSize() / model.vaeScaleFactor()) * sampler->initNoiseSigma();
  }
  MasaCtrlHook hook(opt.start_step, opt.start_layer, opt.common.guidance > 1.0);
  DenoiseSpec spec;
  spec.latents = at::cat({z_t, z_t});
  spec.cond = at::cat({c_src, c_tgt});
  spec.uncond = at::cat({unc, unc});
  spec.guidance = opt.common.guidance;
  spec.hook = &hook;
  spec.run = run;
  ATELIER_ASSIGN_OR_RETURN(at::Tensor lat, denoise(model, *sampler, spec));
  return sourceTargetOutput(model, sampler->name(), z_t, lat);
}

}  // namespace atelier::edit
