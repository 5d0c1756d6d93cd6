#include "edit/p2p.h"

#include <ATen/ATen.h>

#include <memory>

#include "atelier/profiler.h"
#include "edit/denoise_loop.h"
#include "edit/inversion.h"
#include "edit/p2p_controller.h"
#include "edit/token_align.h"

namespace atelier::edit {
namespace {

at::Tensor tokenMask(const std::string& prompt, const std::string& words, const TokenizeFn& tok) {
  at::Tensor m = at::zeros({77});
  for (const auto& w : splitWords(words)) {
    for (int64_t p : wordTokenPositions(prompt, w, -1, tok)) { m[p] = 1.0; }
  }
  return m;
}

Result<P2PConfig> buildConfig(EditModel& model, const P2POptions& opt, int n, bool cfg) {
  TokenizeFn tok = [&model](const std::string& s) { return model.encodeTokens(s); };
  P2PConfig c;
  c.cfg = cfg;
  std::string mode = opt.mode;
  if (mode == "auto") {
    mode = splitWords(opt.source_prompt).size() == splitWords(opt.common.prompt).size() ? "replace" : "refine";
  }
  if (mode == "replace") {
    std::string err;
    c.mode = P2PMode::kReplace;
    c.mapper = replacementMapper(opt.source_prompt, opt.common.prompt, tok, &err);
    if (!c.mapper.defined()) { return Status::InvalidArgument("p2p: " + err); }
  } else if (mode == "refine") {
    c.mode = P2PMode::kRefine;
    auto ids = [&](const std::string& s) {
      std::vector<int64_t> v{49406};
      for (int64_t t : tok(s)) { v.push_back(t); }
      v.push_back(49407);
      return v;
    };
    refinementMapper(ids(opt.source_prompt), ids(opt.common.prompt), &c.mapper, &c.alphas);
  } else if (mode == "reweight") {
    c.mode = P2PMode::kReweightOnly;
  } else {
    return Status::InvalidArgument("p2p: unknown mode '" + opt.mode + "' (replace|refine|reweight|auto)");
  }
  if (!opt.reweight_words.empty() && opt.reweight_scale != 1.0) {
    at::Tensor eq = at::ones({77});
    at::Tensor sel = tokenMask(opt.common.prompt, opt.reweight_words, tok);
    c.equalizer = eq + sel * (opt.reweight_scale - 1.0);
  }
  c.cross_begin = 0;
  c.cross_end = static_cast<int>(n * opt.cross_replace);
  c.self_begin = 0;
  c.self_end = static_cast<int>(n * opt.self_replace);
  c.store_maps = !opt.blend_words.empty();
  return c;
}

}  // namespace

Result<EditOutput> runP2P(EditModel& model, const at::Tensor& image, const P2POptions& opt, const RunContext* run) {
  // image: [1,3,H,W] or undefined → target [1,3,H,W]
  ATELIER_ZONE("edit.p2p");
  const bool have_image = image.defined();
  if (have_image) { ATELIER_RETURN_IF_ERROR(checkImage(image, "p2p input image")); }
  std::string sampler_name = opt.common.sampler;
  if (have_image && sampler_name.empty()) { sampler_name = "ddim"; }
  ATELIER_ASSIGN_OR_RETURN(auto sampler, model.makeSampler(sampler_name, opt.common.steps));
  const int n = sampler->numSteps();
  ATELIER_ASSIGN_OR_RETURN(at::Tensor c_src, encodeOne(model, opt.source_prompt));
  ATELIER_ASSIGN_OR_RETURN(at::Tensor c_tgt, encodeOne(model, opt.common.prompt));
  ATELIER_ASSIGN_OR_RETURN(at::Tensor unc, encodeOne(model, opt.common.negative));
  const bool cfg = opt.common.guidance > 1.0;
  ATELIER_ASSIGN_OR_RETURN(P2PConfig pc, buildConfig(model, opt, n, cfg));

  at::Tensor z_t;
  std::vector<at::Tensor> unc_steps;
  if (have_image) {
    if (!sampler->statelessStep()) {
      return Status::InvalidArgument("p2p: editing an input image needs the ddim sampler (DDIM inversion)");
    }
    ATELIER_ASSIGN_OR_RETURN(at::Tensor z0, model.encodeImage(image));
    ATELIER_ASSIGN_OR_RETURN(auto traj, ddimInvert(model, *sampler, z0, c_src, run));
    z_t = traj[0];
    if (opt.null_text && cfg) {
      NullTextOptions no;
      no.guidance = opt.common.guidance;
      no.inner_steps = opt.null_inner_steps;
      ATELIER_ASSIGN_OR_RETURN(auto nt, nullTextInvert(model, *sampler, traj, c_src, unc, no, run));
      for (auto& u : nt.uncond) { unc_steps.push_back(at::cat({u, u})); }
    }
  } else {
    z_t = model.noise(opt.common.seed, model.defaultSize() / model.vaeScaleFactor(), model.defaultSize() / model.vaeScaleFactor()) * sampler->initNoiseSigma();
  }

  auto ctrl = std::make_shared<P2PController>(pc);
  DenoiseSpec spec;
  spec.latents = at::cat({z_t, z_t});
  spec.cond = at::cat({c_src, c_tgt});
  spec.uncond = at::cat({unc, unc});
  spec.uncond_per_step = unc_steps;
  spec.guidance = opt.common.guidance;
  spec.hook = ctrl.get();
  spec.run = run;
  if (!opt.blend_words.empty()) {
    TokenizeFn tok = [&model](const std::string& s) { return model.encodeTokens(s); };
    const auto comma = opt.blend_words.find(',');
    const std::string ws = opt.blend_words.substr(0, comma);
    const std::string wt = comma == std::string::npos ? ws : opt.blend_words.substr(comma + 1);
    const at::Tensor tm = at::stack({tokenMask(opt.source_prompt, ws, tok), tokenMask(opt.common.prompt, wt, tok)});
    const int start = static_cast<int>(n * opt.blend_start);
    spec.after_step = [ctrl, tm, start, thr = opt.blend_threshold](int i, at::Tensor& x) {
      if (i < start) { return; }
      at::Tensor maps = ctrl->blendMaps();
      if (!maps.defined()) { return; }
      at::Tensor mask = localBlendMask(maps, tm, x.size(2), x.size(3), thr).to(x.options());
      at::Tensor src = x.narrow(0, 0, 1);
      x = at::cat({src, src + mask * (x.narrow(0, 1, 1) - src)});
    };
  }
  ATELIER_ASSIGN_OR_RETURN(at::Tensor lat, denoise(model, *sampler, spec));
  return sourceTargetOutput(model, sampler->name(), z_t, lat);
}

}  // namespace atelier::edit
