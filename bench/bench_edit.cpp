// bench_edit: wall-clock overhead of each editing method over plain txt2img (same model, steps and size),
// measured in one run. Prints JSON (and writes it with --out FILE). No OpenCV/CLI11: inputs are seeded tensors.
// Usage: bench_edit [--model DIR] [--device cpu|cuda] [--dtype fp32|fp16|bf16] [--steps N] [--size PX]
//                   [--repeats R] [--out FILE] [--random-sd15 (SD1.5 shapes, random weights)]
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "atelier/device.h"
#include "bench_timing.h"
#include "edit/compose.h"
#include "edit/denoise_loop.h"
#include "edit/inpaint.h"
#include "edit/masactrl.h"
#include "edit/p2p.h"
#include "edit/sd_adapter.h"
#include "edit/sdedit.h"

using namespace atelier;
using namespace atelier::edit;

namespace {

struct Args {
  std::string model, device = "cpu", dtype = "fp32", out;
  bool random_sd15 = false;   // SD 1.5 architecture with random weights (tokenizer/scheduler from --model)
  int steps = 10, repeats = 3;
  int64_t size = 0;
};

// Never fires: measures the cost of an installed but inactive hook.
class InactiveHook : public sd::AttentionHook {
 public:
  bool wants(const sd::AttnSite&, const sd::StepInfo&) const override { return false; }
};

// SD 1.5-sized model with random weights; tokenizer and scheduler config come from the folder `dir`.
Result<std::shared_ptr<EditModel>> randomSd15(const std::string& dir, const c10::Device& dev, c10::ScalarType dt) {
  auto m = std::make_shared<sd::SdModel>();
  ATELIER_ASSIGN_OR_RETURN(m->tokenizer, sd::loadSdTokenizer(dir));
  std::ifstream f(dir + "/scheduler/scheduler_config.json");
  if (!f) { return Status::NotFound(dir + "/scheduler/scheduler_config.json: cannot read"); }
  std::stringstream ss;
  ss << f.rdbuf();
  m->scheduler_json = ss.str();
  m->scheduler_class = "DDIMScheduler";
  m->name = "sd15-random";
  m->path = dir;
  m->device = dev;
  m->dtype = dt;
  m->sample_size = 64;
  m->text_encoder = sd::ClipTextModel(sd::ClipTextConfig::sd15());
  m->unet = sd::UNet2DConditionModel(sd::UNetConfig::sd15());
  m->vae = sd::AutoencoderKL(sd::VaeConfig::sd());
  m->text_encoder->to(dev, dt);
  m->unet->to(dev, dt);
  m->vae->to(dev, at::kFloat);
  return wrapSdModel(m);
}

int run(const Args& a) {
  configureThreads();
  auto dev = parseDevice(a.device);
  auto dt = parseDType(a.dtype);
  if (!dev.ok() || !dt.ok()) { std::cerr << "error: bad --device/--dtype\n"; return 1; }
  auto mr = a.random_sd15 ? randomSd15(a.model, dev.value(), dt.value())
                          : loadEditModel(a.model, dev.value(), dt.value());
  if (!mr.ok()) { std::cerr << "error: " << mr.status().toString() << "\n"; return 1; }
  EditModel& m = *mr.value();
  at::NoGradGuard ng;
  const int64_t px = a.size > 0 ? a.size : m.defaultSize();
  const int64_t lat = px / 8;
  at::manual_seed(0);
  const at::Tensor image = at::rand({1, 3, px, px}).to(m.device());
  at::Tensor mask = at::zeros({1, 1, px, px});
  mask.narrow(3, 0, px / 2).fill_(1.0);
  CommonOptions common;
  common.prompt = "a photo of a cat";
  common.steps = a.steps;

  auto plain = [&](sd::AttentionHook* hook) -> Status {
    ATELIER_ASSIGN_OR_RETURN(auto s, m.makeSampler("", a.steps));
    DenoiseSpec spec;
    spec.latents = m.noise(0, lat, lat) * s->initNoiseSigma();
    ATELIER_ASSIGN_OR_RETURN(spec.cond, m.encodeText({common.prompt}));
    ATELIER_ASSIGN_OR_RETURN(spec.uncond, m.encodeText({""}));
    spec.guidance = 7.5;
    spec.hook = hook;
    ATELIER_ASSIGN_OR_RETURN(at::Tensor z, denoise(m, *s, spec));
    return m.decodeLatents(z).status();
  };
  InactiveHook inactive;
  Layout layout;
  layout.width = layout.height = px;
  layout.prompt = "a garden";
  layout.regions.resize(2);
  layout.regions[0] = {0, 0, px / 2, px, "a red cat", "", {}};
  layout.regions[1] = {px / 2, px / 4, px, px * 3 / 4, "a blue dog", "", {}};
  Layout layout_ref = layout;
  layout_ref.regions[1].image = at::rand({1, 3, px / 2, px / 2});

  std::vector<std::pair<std::string, std::function<Status()>>> cases{
      {"inactive_hook", [&] { return plain(&inactive); }},
      {"sdedit_s1.0", [&] { SdEditOptions o; o.common = common; o.strength = 1.0;
                            return runSdEdit(m, image, o).status(); }},
      {"sdedit_s0.8", [&] { SdEditOptions o; o.common = common; o.strength = 0.8;
                            return runSdEdit(m, image, o).status(); }},
      {"inpaint", [&] { InpaintOptions o; o.common = common; o.blend_start = 0.0;
                        return runInpaint(m, image, mask, o).status(); }},
      {"p2p_generate", [&] { P2POptions o; o.common = common; o.common.prompt = "a photo of a dog";
                             o.source_prompt = "a photo of a cat"; return runP2P(m, at::Tensor(), o).status(); }},
      {"p2p_image", [&] { P2POptions o; o.common = common; o.common.prompt = "a photo of a dog";
                          o.source_prompt = "a photo of a cat"; return runP2P(m, image, o).status(); }},
      {"p2p_localblend", [&] { P2POptions o; o.common = common; o.common.prompt = "a photo of a dog";
                               o.source_prompt = "a photo of a cat"; o.blend_words = "cat,dog";
                               return runP2P(m, image, o).status(); }},
      {"masactrl_image", [&] { MasaCtrlOptions o; o.common = common; o.source_prompt = "a photo of a cat";
                               o.common.prompt = "a photo of a running cat"; o.start_step = 0;
                               o.start_layer = 0; return runMasaCtrl(m, image, o).status(); }},
      {"compose_2regions", [&] { ComposeOptions o; o.steps = a.steps; return runCompose(m, layout, o).status(); }},
      {"compose_2regions_1ref", [&] { ComposeOptions o; o.steps = a.steps;
                                      return runCompose(m, layout_ref, o).status(); }},
  };
  nlohmann::json j;
  j["bench"] = "edit";
  j["model"] = a.random_sd15 ? std::string("sd15-random") : a.model;
  j["device"] = a.device;
  j["dtype"] = a.dtype;
  j["libtorch"] = libtorchVersion();
  j["steps"] = a.steps;
  j["size"] = px;
  j["repeats"] = a.repeats;
  Status st;
  const double base = bench::timeMs([&] { return plain(nullptr); }, a.repeats, m.device(), &st).median;
  if (!st.ok()) { std::cerr << "error: " << st.toString() << "\n"; return 1; }
  j["txt2img_ms"] = base;
  for (auto& [name, fn] : cases) {
    const double ms = bench::timeMs(fn, a.repeats, m.device(), &st).median;
    if (!st.ok()) {
      j["methods"][name] = {{"error", st.toString()}};
      continue;
    }
    j["methods"][name] = {{"ms", ms}, {"ratio_vs_txt2img", ms / base}};
    std::cerr << name << ": " << ms << " ms (" << ms / base << "x)\n";
  }
  const std::string text = j.dump(2);
  std::cout << text << "\n";
  if (!a.out.empty()) { std::ofstream(a.out) << text << "\n"; }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  const char* env = std::getenv("ATELIER_SHARED_DIR");
  a.model = std::string(env && *env ? env : "../shared") + "/golden/sd15-tiny";
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) { std::cerr << "error: " << k << " needs a value\n"; std::exit(2); }
      return argv[++i];
    };
    if (k == "--model" || k == "-m") { a.model = next(); }
    else if (k == "--device") { a.device = next(); }
    else if (k == "--dtype") { a.dtype = next(); }
    else if (k == "--steps") { a.steps = std::stoi(next()); }
    else if (k == "--size") { a.size = std::stoll(next()); }
    else if (k == "--repeats") { a.repeats = std::stoi(next()); }
    else if (k == "--out") { a.out = next(); }
    else if (k == "--random-sd15") { a.random_sd15 = true; }
    else { std::cerr << "usage: bench_edit [--model DIR] [--device D] [--dtype T] [--steps N] [--size PX] "
                        "[--repeats R] [--out FILE] [--random-sd15]\n"; return 2; }
  }
  return run(a);
}
