// Stage registration for the SD engine: "sd.txt2img.v1" (text → image with the model's own sampler settings).
#include <ATen/ATen.h>

#include "atelier/stage.h"
#include "sd/model_folder.h"
#include "sd/txt2img.h"

namespace atelier {
namespace sd {
namespace {

class Txt2ImgStage : public Stage {
 public:
  std::string_view id() const override { return "sd.txt2img.v1"; }
  std::string_view label() const override { return "Stable Diffusion: text to image"; }
  std::vector<ParamSpec> params() const override {
    return {
        ParamSpec::Path("model", "Model", "", "diffusers folder or single-file .safetensors (SD 1.x / 2.x)"),
        ParamSpec::Text("prompt", "Prompt", "", "used when the input packet has no \"prompt\" text"),
        ParamSpec::Text("negative_prompt", "Negative prompt", ""),
        ParamSpec::Int("steps", "Steps", 20, 1, 200),
        ParamSpec::Float("cfg_scale", "CFG scale", 7.5, 0.0, 30.0, "classifier-free guidance (off at ≤ 1)"),
        ParamSpec::Choice("sampler", "Sampler", "default", {"default", "ddim", "euler", "dpmpp2m"},
                          "default: the model's scheduler when supported, else DDIM"),
        ParamSpec::Int("seed", "Seed", 0, 0, (int64_t{1} << 53)),
        ParamSpec::Int("width", "Width", 0, 0, 4096, "0: the model's native size"),
        ParamSpec::Int("height", "Height", 0, 0, 4096, "0: the model's native size"),
        [] { auto p = ParamSpec::Float("guidance_rescale", "Guidance rescale", 0.0, 0.0, 1.0); p.advanced = true; return p; }(),
        [] { auto p = ParamSpec::Int("clip_skip", "Clip skip", 1, 1, 12); p.advanced = true; return p; }(),
    };
  }

  Status configure(const ParamSet& v) override {
    values_ = v;
    return Status::Ok();
  }

  Result<Packet> process(const Packet& in, RunContext& ctx) override {
    const std::string path = getString(values_, "model", "");
    if (path.empty()) return Status::InvalidArgument("sd.txt2img: no model selected");
    if (!model_ || model_path_ != path || model_->device != ctx.device || model_->dtype != ctx.dtype) {
      model_.reset();
      SdLoadOptions opt;
      opt.device = ctx.device;
      opt.dtype = ctx.dtype;
      ATELIER_ASSIGN_OR_RETURN(model_, loadSdModel(path, opt));
      model_path_ = path;
    }
    const std::string sampler = getString(values_, "sampler", "default");
    SamplerKind kind = model_->defaultSampler();
    if (sampler != "default") { ATELIER_ASSIGN_OR_RETURN(kind, parseSampler(sampler)); }
    ATELIER_ASSIGN_OR_RETURN(auto scheduler, model_->makeScheduler(kind));
    Txt2ImgRequest req;
    auto text = [&](const char* key) {
      auto it = in.text.find(key);
      return it != in.text.end() ? it->second : getString(values_, key, "");
    };
    req.prompt = text("prompt");
    req.negative_prompt = text("negative_prompt");
    req.steps = static_cast<int>(getInt(values_, "steps", 20));
    req.cfg_scale = getFloat(values_, "cfg_scale", 7.5);
    req.guidance_rescale = getFloat(values_, "guidance_rescale", 0.0);
    req.seed = getInt(values_, "seed", 0);
    req.width = getInt(values_, "width", 0);
    req.height = getInt(values_, "height", 0);
    req.clip_skip = static_cast<int>(getInt(values_, "clip_skip", 1));
    auto lat = in.tensors.find("latents");
    if (lat != in.tensors.end()) req.init_latents = lat->second;
    StepCallback cb = [&](const StepInfo& s, at::Tensor&, const at::Tensor& x0) {
      ctx.reportProgress(s.step + 1, s.num_steps, "denoise");
      if (ctx.progress) ctx.progress->preview(latentPreview(x0));
      return !ctx.cancelRequested();
    };
    ATELIER_ASSIGN_OR_RETURN(Txt2ImgResult r, txt2img(*model_, *scheduler, req, cb));
    Packet out;
    out.index = in.index;
    out.tensors["image"] = r.image;
    out.tensors["latents"] = r.latents;
    out.text["prompt"] = req.prompt;
    out.text["negative_prompt"] = req.negative_prompt;
    out.text["sampler"] = samplerName(kind);
    out.scalars["seed"] = static_cast<double>(req.seed);
    return out;
  }

 private:
  ParamSet values_;
  std::shared_ptr<SdModel> model_;
  std::string model_path_;
};

}  // namespace
}  // namespace sd

void registerSdStages() {
  StageRegistry::global().add("sd.txt2img.v1", "Stable Diffusion: text to image",
                              [] { return std::make_unique<sd::Txt2ImgStage>(); });
}

}  // namespace atelier
