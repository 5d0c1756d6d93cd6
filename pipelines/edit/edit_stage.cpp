#include "edit/edit_stage.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <sstream>

#include "sd/scheduler.h"

namespace atelier::edit {

std::vector<ParamSpec> EditStage::params() const {
  std::vector<ParamSpec> v{
      ParamSpec::Path("model", "Model", "", "diffusers folder or .safetensors checkpoint"),
      ParamSpec::Text("prompt", "Prompt", "", "target prompt"),
      ParamSpec::Text("negative_prompt", "Negative prompt", ""),
      ParamSpec::Choice("sampler", "Sampler", "default", {"default", "ddim", "euler", "dpmpp2m"},
                        "default: the model folder's scheduler (DDIM when unsupported)"),
      ParamSpec::Int("steps", "Steps", 20, 1, 1000),
      ParamSpec::Float("guidance", "CFG scale", 7.5, 0.0, 50.0, "classifier-free guidance; ≤ 1 disables it"),
      ParamSpec::Int("seed", "Seed", 0, 0, (int64_t{1} << 53)),
  };
  for (auto& s : methodParams()) { v.push_back(std::move(s)); }
  return v;
}

Status EditStage::configure(const ParamSet& values) {
  ATELIER_ASSIGN_OR_RETURN(values_, resolveParams(params(), values));
  return Status::Ok();
}

std::string EditStage::text(const ParamSet& p, const Packet& in, const std::string& id) {
  auto it = in.text.find(id);
  if (it != in.text.end() && !it->second.empty()) { return it->second; }
  return getString(p, id, "");
}

CommonOptions EditStage::common(const ParamSet& p, const Packet& in) {
  CommonOptions c;
  c.prompt = text(p, in, "prompt");
  c.negative = text(p, in, "negative_prompt");
  c.sampler = getString(p, "sampler", "default");
  if (c.sampler == "default") { c.sampler.clear(); }
  c.steps = static_cast<int>(getInt(p, "steps", 20));
  c.guidance = getFloat(p, "guidance", 7.5);
  c.seed = getInt(p, "seed", 0);
  return c;
}

Result<std::shared_ptr<EditModel>> EditStage::model(const std::string& path, RunContext& ctx) {
  if (path.empty()) { return Status::InvalidArgument(std::string(id()) + ": no model given (param \"model\")"); }
  const std::string key = path + "|" + ctx.device.str() + "|" + std::to_string(static_cast<int>(ctx.dtype));
  if (!model_ || key != model_key_) {
    model_.reset();
    ATELIER_ASSIGN_OR_RETURN(model_, loadEditModel(path, ctx.device, ctx.dtype));
    model_key_ = key;
  }
  return model_;
}

Result<Packet> EditStage::process(const Packet& in, RunContext& ctx) {
  // in.tensors["image"]: [1,3,H,W] in [0,1] → out.tensors["image"]: [1,3,H',W']
  if (values_.empty()) { ATELIER_RETURN_IF_ERROR(configure({})); }
  ATELIER_ASSIGN_OR_RETURN(auto m, model(getString(values_, "model", ""), ctx));
  at::NoGradGuard no_grad;   // null-text inversion re-enables grad locally
  ATELIER_ASSIGN_OR_RETURN(EditOutput r, run(*m, in, values_, ctx));
  Packet out;
  out.index = in.index;
  out.pts_ns = in.pts_ns;
  out.tensors["image"] = r.image;
  out.tensors["latents"] = r.latents;
  if (r.source_image.defined()) { out.tensors["source_image"] = r.source_image; }
  const CommonOptions c = common(values_, in);
  std::string extra = "Edit: " + method();
  const std::string more = extraInfo(values_);
  if (!more.empty()) { extra += ", " + more; }
  auto kind = sd::parseSampler(r.sampler);
  const std::string a1111 = kind.ok() ? sd::samplerA1111Name(kind.value()) : r.sampler;
  out.text["parameters"] = parametersText(c, a1111, r.image.size(3), r.image.size(2), m->modelName(), extra);
  out.text["sampler"] = r.sampler;
  return out;
}

std::string parametersText(const CommonOptions& c, const std::string& sampler, int64_t width, int64_t height,
                           const std::string& model_name, const std::string& extra) {
  std::ostringstream os;
  os << c.prompt << "\nNegative prompt: " << c.negative << "\nSteps: " << c.steps << ", Sampler: " << sampler
     << ", CFG scale: " << c.guidance << ", Seed: " << c.seed << ", Size: " << width << "x" << height
     << ", Model: " << model_name;
  if (!extra.empty()) { os << ", " << extra; }
  return os.str();
}

}  // namespace atelier::edit
