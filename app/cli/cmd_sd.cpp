// SD subcommands: `tokenize` (token ids as JSON) and `generate` (txt2img → PNG with an A1111 "parameters"
// chunk, optional initial/final latents as safetensors). Without atelier_io (GPU build) images can only be
// written as .safetensors.
#include <CLI/CLI.hpp>
#include <ATen/ATen.h>

#include <filesystem>
#include <iostream>
#include <sstream>

#include "atelier/device.h"
#include "atelier/safetensors.h"
#include "cli/common.h"
#include "sd/model_folder.h"
#include "sd/txt2img.h"

#if __has_include("atelier/io/image_io.h")
#include "atelier/io/image_io.h"
#define ATELIER_SD_CLI_HAVE_IO 1
#endif

namespace atelier::cli {
namespace {

struct GenerateArgs {
  std::string model, prompt, negative, sampler, device = "cpu", dtype = "fp32", init_latents, save_latents, out;
  std::string config_dir;
  int steps = 20;
  double cfg = 7.5;
  int64_t seed = 0, width = 0, height = 0;
};

// FILE[:NAME] → the named tensor, or the only tensor in FILE.
Result<at::Tensor> readInitLatents(const std::string& spec) {
  std::string file = spec, name;
  const size_t colon = spec.rfind(':');
  if (!std::filesystem::exists(spec) && colon != std::string::npos) {
    file = spec.substr(0, colon);
    name = spec.substr(colon + 1);
  }
  ATELIER_ASSIGN_OR_RETURN(TensorMap all, loadSafetensors(file));
  if (name.empty()) {
    if (all.size() == 1) return all.begin()->second.clone();
    std::string names;
    for (const auto& [k, v] : all) names += (names.empty() ? "" : ", ") + k;
    return Status::InvalidArgument(file + ": holds " + std::to_string(all.size()) +
                                   " tensors; choose one with FILE:NAME (" + names + ")");
  }
  auto it = all.find(name);
  if (it == all.end()) return Status::NotFound(file + ": no tensor named '" + name + "'");
  return it->second.clone();
}

std::string fmtNumber(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

Status runTokenize(const std::string& model, const std::vector<std::string>& prompts) {
  ATELIER_ASSIGN_OR_RETURN(sd::ClipTokenizer tok, sd::loadSdTokenizer(model));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : prompts) out.push_back(tok.tokenize(p));
  std::cout << out.dump() << "\n";
  return Status::Ok();
}

Status runGenerate(const GenerateArgs& a) {
  ATELIER_ASSIGN_OR_RETURN(c10::Device device, parseDevice(a.device));
  ATELIER_ASSIGN_OR_RETURN(c10::ScalarType dtype, parseDType(a.dtype));
  sd::Txt2ImgRequest req;
  if (!a.init_latents.empty()) { ATELIER_ASSIGN_OR_RETURN(req.init_latents, readInitLatents(a.init_latents)); }
  sd::SdLoadOptions opt;
  opt.device = device;
  opt.dtype = dtype;
  opt.config_dir = a.config_dir;
  ATELIER_ASSIGN_OR_RETURN(auto model, sd::loadSdModel(a.model, opt));
  sd::SamplerKind kind = model->defaultSampler();
  if (!a.sampler.empty()) { ATELIER_ASSIGN_OR_RETURN(kind, sd::parseSampler(a.sampler)); }
  ATELIER_ASSIGN_OR_RETURN(auto scheduler, model->makeScheduler(kind));
  req.prompt = a.prompt;
  req.negative_prompt = a.negative;
  req.steps = a.steps;
  req.cfg_scale = a.cfg;
  req.seed = a.seed;
  req.width = a.width;
  req.height = a.height;
  if (req.init_latents.defined() && req.init_latents.dim() == 4) {
    req.width = req.init_latents.size(3) * model->vae_scale_factor;
    req.height = req.init_latents.size(2) * model->vae_scale_factor;
  }
  ProgressBar bar("generate");
  sd::StepCallback cb = [&](const sd::StepInfo& s, at::Tensor&, const at::Tensor&) {
    bar.report(s.step + 1, s.num_steps, sd::samplerName(kind));
    return true;
  };
  ATELIER_ASSIGN_OR_RETURN(sd::Txt2ImgResult r, sd::txt2img(*model, *scheduler, req, cb));
  bar.finish();
  if (!a.save_latents.empty()) ATELIER_RETURN_IF_ERROR(saveSafetensors(a.save_latents, {{"latents", r.latents}}));
  const int64_t w = r.image.size(3), h = r.image.size(2);
  const std::string params = a.prompt + "\nNegative prompt: " + a.negative + "\nSteps: " + std::to_string(a.steps) +
                             ", Sampler: " + sd::samplerA1111Name(kind) + ", CFG scale: " + fmtNumber(a.cfg) +
                             ", Seed: " + std::to_string(a.seed) + ", Size: " + std::to_string(w) + "x" +
                             std::to_string(h) + ", Model: " + model->name;
  std::string ext = std::filesystem::path(a.out).extension().string();
  if (ext == ".safetensors") return saveSafetensors(a.out, {{"image", r.image}}, {{"parameters", params}});
#ifdef ATELIER_SD_CLI_HAVE_IO
  io::SaveOptions so;
  so.text["parameters"] = params;
  return io::saveImage(a.out, r.image, so);
#else
  return Status::Unsupported(a.out + ": this build has no image I/O (atelier_io); write .safetensors instead");
#endif
}

}  // namespace

void addSdCommands(CLI::App& app) {
  auto* tok = app.add_subcommand("tokenize", "Print CLIP token ids (77 per prompt) as JSON");
  auto model = std::make_shared<std::string>();
  auto prompts = std::make_shared<std::vector<std::string>>();
  tok->add_option("-m,--model", *model, "Model folder (or its tokenizer folder)")->required();
  tok->add_option("prompts", *prompts, "Prompts")->required();
  tok->callback([model, prompts] { runAndReport(runTokenize(*model, *prompts)); });

  auto* gen = app.add_subcommand("generate", "Text to image with Stable Diffusion 1.x/2.x");
  auto a = std::make_shared<GenerateArgs>();
  gen->add_option("-m,--model", a->model, "diffusers folder or single-file .safetensors")->required();
  gen->add_option("--config", a->config_dir,
                  "Single files: diffusers folder whose unet/vae/text_encoder configs, tokenizer and scheduler "
                  "config to use (like diffusers from_single_file(config=...))");
  gen->add_option("-p,--prompt", a->prompt, "Prompt")->required();
  gen->add_option("-n,--negative-prompt", a->negative, "Negative prompt (default \"\")");
  gen->add_option("--steps", a->steps, "Sampling steps (default 20)")->check(CLI::Range(1, 1000));
  gen->add_option("--cfg-scale", a->cfg, "Classifier-free guidance scale (default 7.5)");
  gen->add_option("--sampler", a->sampler, "ddim|euler|dpmpp2m (default: the model's scheduler, else ddim)")
      ->check(CLI::IsMember({"ddim", "euler", "dpmpp2m"}));
  gen->add_option("--seed", a->seed, "Noise seed (CPU torch.randn; default 0)");
  gen->add_option("-W,--width", a->width, "Width (default: UNet sample_size × VAE scale factor)");
  gen->add_option("-H,--height", a->height, "Height (default: UNet sample_size × VAE scale factor)");
  gen->add_option("--device", a->device, "cpu|cuda (default cpu)");
  gen->add_option("--dtype", a->dtype, "fp32|fp16|bf16 (default fp32)");
  gen->add_option("--init-latents", a->init_latents, "FILE.safetensors[:NAME] starting noise (× init_noise_sigma)");
  gen->add_option("--save-latents", a->save_latents, "Write the final latents as tensor 'latents'");
  gen->add_option("-o,--output", a->out, "Output PNG (or .safetensors)")->required();
  gen->callback([a] { runAndReport(runGenerate(*a)); });
}

}  // namespace atelier::cli
