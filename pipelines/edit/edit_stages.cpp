// The five editing stages and registerEditStages().
#include <ATen/ATen.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "edit/compose.h"
#include "edit/edit_stage.h"
#include "edit/inpaint.h"
#include "edit/masactrl.h"
#include "edit/p2p.h"
#include "edit/sdedit.h"

namespace atelier {
namespace edit {
namespace {

// Packet tensor `name` (undefined when absent), on `dev` when given.
at::Tensor inputImage(const Packet& in, const std::string& name = "image",
                      c10::optional<c10::Device> dev = c10::nullopt) {
  auto it = in.tensors.find(name);
  if (it == in.tensors.end() || !it->second.defined()) { return at::Tensor(); }
  return dev ? it->second.to(*dev) : it->second;
}

std::string fmt(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

class SdEditStage : public EditStage {
 public:
  std::string_view id() const override { return "edit.sdedit.v1"; }
  std::string_view label() const override { return "SDEdit / img2img"; }

 protected:
  std::string method() const override { return "sdedit"; }
  std::vector<ParamSpec> methodParams() const override {
    return {ParamSpec::Float("strength", "Strength", 0.8, 0.0, 1.0, "0 = VAE round trip, 1 = from pure noise")};
  }
  std::string extraInfo(const ParamSet& p) const override { return "Denoising strength: " + fmt(getFloat(p, "strength", 0.8)); }
  Result<EditOutput> run(EditModel& m, const Packet& in, const ParamSet& p, RunContext& ctx) override {
    SdEditOptions o;
    o.common = common(p, in);
    o.strength = getFloat(p, "strength", 0.8);
    return runSdEdit(m, inputImage(in, "image", m.device()), o, &ctx);
  }
};

class P2PStage : public EditStage {
 public:
  std::string_view id() const override { return "edit.p2p.v1"; }
  std::string_view label() const override { return "Prompt-to-Prompt"; }

 protected:
  std::string method() const override { return "p2p"; }
  std::vector<ParamSpec> methodParams() const override {
    return {ParamSpec::Text("source_prompt", "Source prompt", "", "describes the input image"),
            ParamSpec::Choice("mode", "Mode", "auto", {"auto", "replace", "refine", "reweight"}),
            ParamSpec::Float("cross_replace", "Cross-attn replace", 0.4, 0.0, 1.0, "fraction of steps"),
            ParamSpec::Float("self_replace", "Self-attn replace", 0.4, 0.0, 1.0, "fraction of steps"),
            ParamSpec::Text("reweight_words", "Re-weight words", "", "target words to scale"),
            ParamSpec::Float("reweight_scale", "Re-weight scale", 1.0, -10.0, 10.0),
            ParamSpec::Text("blend_words", "LocalBlend words", "", "\"SRC,TGT\" words; empty = off"),
            ParamSpec::Float("blend_threshold", "LocalBlend threshold", 0.3, 0.0, 1.0),
            ParamSpec::Bool("null_text", "Null-text inversion", false, "optimise the uncond embedding per step"),
            ParamSpec::Int("null_inner_steps", "Null-text iterations", 10, 0, 100)};
  }
  std::string extraInfo(const ParamSet& p) const override {
    return "Cross replace: " + fmt(getFloat(p, "cross_replace", 0.4)) + ", Self replace: " +
           fmt(getFloat(p, "self_replace", 0.4));
  }
  Result<EditOutput> run(EditModel& m, const Packet& in, const ParamSet& p, RunContext& ctx) override {
    P2POptions o;
    o.common = common(p, in);
    o.source_prompt = text(p, in, "source_prompt");
    o.mode = getString(p, "mode", "auto");
    o.cross_replace = getFloat(p, "cross_replace", 0.4);
    o.self_replace = getFloat(p, "self_replace", 0.4);
    o.reweight_words = getString(p, "reweight_words", "");
    o.reweight_scale = getFloat(p, "reweight_scale", 1.0);
    o.blend_words = getString(p, "blend_words", "");
    o.blend_threshold = getFloat(p, "blend_threshold", 0.3);
    o.null_text = getBool(p, "null_text", false);
    o.null_inner_steps = static_cast<int>(getInt(p, "null_inner_steps", 10));
    return runP2P(m, inputImage(in, "image", m.device()), o, &ctx);
  }
};

class InpaintStage : public EditStage {
 public:
  std::string_view id() const override { return "edit.inpaint.v1"; }
  std::string_view label() const override { return "Blended latent inpainting"; }

 protected:
  std::string method() const override { return "inpaint"; }
  std::vector<ParamSpec> methodParams() const override {
    return {ParamSpec::Float("blend_start", "Skip first steps", 0.25, 0.0, 0.99, "fraction of steps skipped"),
            ParamSpec::Bool("noise_to_next", "Noise source to next t", false,
                            "off: BLD (timestep just processed); on: the latent's own timestep")};
  }
  Result<EditOutput> run(EditModel& m, const Packet& in, const ParamSet& p, RunContext& ctx) override {
    InpaintOptions o;
    o.common = common(p, in);
    o.blend_start = getFloat(p, "blend_start", 0.25);
    o.noise_to_next = getBool(p, "noise_to_next", false);
    at::Tensor mask = inputImage(in, "mask");
    if (!mask.defined()) { return Status::InvalidArgument("edit.inpaint.v1: packet has no \"mask\" tensor"); }
    return runInpaint(m, inputImage(in, "image", m.device()), mask, o, &ctx);
  }
};

class MasaCtrlStage : public EditStage {
 public:
  std::string_view id() const override { return "edit.masactrl.v1"; }
  std::string_view label() const override { return "MasaCtrl"; }

 protected:
  std::string method() const override { return "masactrl"; }
  std::vector<ParamSpec> methodParams() const override {
    return {ParamSpec::Text("source_prompt", "Source prompt", "", "describes the input image"),
            ParamSpec::Int("start_step", "Start step", 4, 0, 1000),
            ParamSpec::Int("start_layer", "Start layer", 10, 0, 64, "first transformer block (16 in SD1/2)")};
  }
  std::string extraInfo(const ParamSet& p) const override {
    return "Start step: " + std::to_string(getInt(p, "start_step", 4)) +
           ", Start layer: " + std::to_string(getInt(p, "start_layer", 10));
  }
  Result<EditOutput> run(EditModel& m, const Packet& in, const ParamSet& p, RunContext& ctx) override {
    MasaCtrlOptions o;
    o.common = common(p, in);
    o.source_prompt = text(p, in, "source_prompt");
    o.start_step = static_cast<int>(getInt(p, "start_step", 4));
    o.start_layer = static_cast<int>(getInt(p, "start_layer", 10));
    return runMasaCtrl(m, inputImage(in, "image", m.device()), o, &ctx);
  }
};

class ComposeStage : public EditStage {
 public:
  std::string_view id() const override { return "edit.compose.v1"; }
  std::string_view label() const override { return "Layout composition"; }

 protected:
  std::string method() const override { return "compose"; }
  std::vector<ParamSpec> methodParams() const override {
    return {ParamSpec::Path("layout", "Layout JSON", "", "regions with prompts and optional reference images"),
            ParamSpec::Bool("region_sees_global", "Regions see global prompt", false),
            ParamSpec::Float("ref_share", "Reference sharing", 1.0, 0.0, 1.0, "fraction of steps")};
  }
  Result<EditOutput> run(EditModel& m, const Packet& in, const ParamSet& p, RunContext& ctx) override {
    std::string json = text(p, in, "layout_json");
    const std::string path = getString(p, "layout", "");
    if (json.empty()) {
      std::ifstream f(path);
      if (!f) { return Status::NotFound("edit.compose.v1: cannot read layout file '" + path + "'"); }
      std::stringstream ss;
      ss << f.rdbuf();
      json = ss.str();
    }
    ATELIER_ASSIGN_OR_RETURN(Layout layout, parseLayout(json, path.empty() ? "layout" : path));
    for (size_t r = 0; r < layout.regions.size(); ++r) {
      layout.regions[r].image = inputImage(in, "region" + std::to_string(r) + ".image");
      if (!layout.regions[r].image_path.empty() && !layout.regions[r].image.defined()) {
        return Status::InvalidArgument("edit.compose.v1: region " + std::to_string(r) + " names image '" +
                                       layout.regions[r].image_path + "' but no region" + std::to_string(r) +
                                       ".image tensor was given");
      }
    }
    ComposeOptions o;
    const CommonOptions c = common(p, in);
    o.sampler = c.sampler;
    o.steps = c.steps;
    o.guidance = c.guidance;
    o.seed = c.seed;
    o.region_sees_global = getBool(p, "region_sees_global", false);
    o.ref_share = getFloat(p, "ref_share", 1.0);
    return runCompose(m, layout, o, &ctx);
  }
};

template <class T>
void add(StageRegistry& reg) {
  T probe;
  reg.add(std::string(probe.id()), std::string(probe.label()), [] { return std::make_unique<T>(); });
}

}  // namespace
}  // namespace edit

void registerEditStages() {
  auto& reg = StageRegistry::global();
  edit::add<edit::SdEditStage>(reg);
  edit::add<edit::P2PStage>(reg);
  edit::add<edit::InpaintStage>(reg);
  edit::add<edit::MasaCtrlStage>(reg);
  edit::add<edit::ComposeStage>(reg);
}

}  // namespace atelier
