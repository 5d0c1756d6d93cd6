// `edit` (sdedit | p2p | inpaint | masactrl) and `compose` subcommands: thin wrappers that load images with
// atelier_io, run the edit.*.v1 stages and write the PNG with an A1111-style "parameters" chunk.
#include <CLI/CLI.hpp>

#include <ATen/ATen.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "atelier/device.h"
#include "atelier/safetensors.h"
#include "cli/common.h"
#include "edit/layout.h"

#if __has_include("atelier/io/image_io.h")
#include "atelier/io/image_io.h"
#define ATELIER_EDIT_CLI_HAVE_IO 1
#endif

namespace atelier::cli {
namespace {

struct EditArgs {
  std::string method, model, input, mask, prompt, negative, source_prompt, sampler = "default", output;
  std::string device = "cpu", dtype = "fp32", p2p_mode = "auto", reweight_words, blend_words, save_source;
  int steps = 20, start_step = 4, start_layer = 10, null_inner_steps = 10;
  int64_t seed = 0;
  double cfg = 7.5, strength = 0.8, cross_replace = 0.4, self_replace = 0.4, reweight_scale = 1.0;
  double blend_threshold = 0.3, blend_start = 0.25, ref_share = 1.0;
  bool null_text = false, noise_to_next = false, region_sees_global = false;
  std::string layout;
};

bool isSafetensors(const std::string& path) { return std::filesystem::path(path).extension() == ".safetensors"; }

// Image [1,C,H,W] in [0,1] from a PNG/JPEG (atelier_io) or a .safetensors file (tensor "image", else the first).
Result<at::Tensor> loadAny(const std::string& path, bool rgb = true) {
  if (isSafetensors(path)) {
    ATELIER_ASSIGN_OR_RETURN(TensorMap m, loadSafetensors(path));
    if (m.empty()) { return Status::InvalidArgument(path + ": no tensors"); }
    at::Tensor t = m.count("image") ? m.at("image") : m.begin()->second;
    if (t.dim() == 3) { t = t.unsqueeze(0); }
    if (t.dim() != 4) { return Status::InvalidArgument(path + ": expected an [1,C,H,W] image tensor"); }
    return t.to(at::kFloat).contiguous();
  }
#ifdef ATELIER_EDIT_CLI_HAVE_IO
  io::LoadOptions lo;
  lo.force_rgb = rgb;
  return io::loadImage(path, lo);
#else
  return Status::Unsupported(path + ": this build has no image I/O (atelier_io); use .safetensors");
#endif
}

// Writes a PNG with the "parameters" text chunk, or a .safetensors file with it as metadata.
Status saveAny(const std::string& path, const at::Tensor& img, const std::string& params) {
  if (isSafetensors(path)) { return saveSafetensors(path, {{"image", img}}, {{"parameters", params}}); }
#ifdef ATELIER_EDIT_CLI_HAVE_IO
  io::SaveOptions so;
  so.text["parameters"] = params;
  return io::saveImage(path, img, so);
#else
  return Status::Unsupported(path + ": this build has no image I/O (atelier_io); write .safetensors instead");
#endif
}

// Resizes an image whose sides are not multiples of 8 down to the nearest ones (bilinear), with a note.
at::Tensor snapTo8(const at::Tensor& img, const std::string& what) {
  const int64_t h = img.size(2) / 8 * 8, w = img.size(3) / 8 * 8;
  if (h == img.size(2) && w == img.size(3)) { return img; }
  std::cerr << "note: " << what << " resized from " << img.size(3) << "x" << img.size(2) << " to " << w << "x" << h
            << " (multiples of 8)\n";
  return at::upsample_bilinear2d(img, {h, w}, false).clamp(0, 1);
}

Status runStage(const std::string& stage_id, const ParamSet& params, Packet in, const EditArgs& a) {
  auto stage = StageRegistry::global().create(stage_id);
  if (!stage) { return Status::NotFound("stage " + stage_id + " is not registered"); }
  ATELIER_RETURN_IF_ERROR(configureGuarded(*stage, params));
  RunContext ctx;
  ATELIER_ASSIGN_OR_RETURN(ctx.device, parseDevice(a.device));
  ATELIER_ASSIGN_OR_RETURN(ctx.dtype, parseDType(a.dtype));
  ProgressBar bar(stage_id);
  ctx.progress = &bar;
  ATELIER_ASSIGN_OR_RETURN(Packet out, processGuarded(*stage, in, ctx));
  bar.finish();
  ATELIER_RETURN_IF_ERROR(saveAny(a.output, out.tensors.at("image"), out.text["parameters"]));
  std::cerr << "wrote " << a.output << "\n";
  if (!a.save_source.empty() && out.tensors.count("source_image")) {
    ATELIER_RETURN_IF_ERROR(saveAny(a.save_source, out.tensors.at("source_image"), out.text["parameters"]));
    std::cerr << "wrote " << a.save_source << "\n";
  }
  return Status::Ok();
}

ParamSet commonParams(const EditArgs& a) {
  return {{"model", a.model}, {"prompt", a.prompt}, {"negative_prompt", a.negative}, {"sampler", a.sampler},
          {"steps", int64_t{a.steps}}, {"guidance", a.cfg}, {"seed", a.seed}};
}

Status runEdit(const EditArgs& a) {
  ParamSet p = commonParams(a);
  Packet in;
  ATELIER_ASSIGN_OR_RETURN(at::Tensor img, loadAny(a.input));
  if (img.size(1) != 3) { return Status::InvalidArgument(a.input + ": expected an RGB image"); }
  in.tensors["image"] = snapTo8(img, a.input);
  if (a.method == "sdedit") {
    p["strength"] = a.strength;
  } else if (a.method == "p2p") {
    p["source_prompt"] = a.source_prompt;
    p["mode"] = a.p2p_mode;
    p["cross_replace"] = a.cross_replace;
    p["self_replace"] = a.self_replace;
    p["reweight_words"] = a.reweight_words;
    p["reweight_scale"] = a.reweight_scale;
    p["blend_words"] = a.blend_words;
    p["blend_threshold"] = a.blend_threshold;
    p["null_text"] = a.null_text;
    p["null_inner_steps"] = int64_t{a.null_inner_steps};
  } else if (a.method == "inpaint") {
    if (a.mask.empty()) { return Status::InvalidArgument("edit --method inpaint needs --mask MASK.png"); }
    ATELIER_ASSIGN_OR_RETURN(at::Tensor mask, loadAny(a.mask, /*rgb=*/false));
    const auto& im = in.tensors["image"];
    mask = at::upsample_nearest2d(mask.narrow(1, 0, 1), {im.size(2), im.size(3)});
    in.tensors["mask"] = mask;
    p["blend_start"] = a.blend_start;
    p["noise_to_next"] = a.noise_to_next;
  } else if (a.method == "masactrl") {
    p["source_prompt"] = a.source_prompt;
    p["start_step"] = int64_t{a.start_step};
    p["start_layer"] = int64_t{a.start_layer};
  } else {
    return Status::InvalidArgument("unknown --method '" + a.method + "' (sdedit|p2p|inpaint|masactrl)");
  }
  return runStage("edit." + a.method + ".v1", p, std::move(in), a);
}

Status runCompose(const EditArgs& a) {
  std::ifstream f(a.layout);
  if (!f) { return Status::NotFound("cannot read layout file '" + a.layout + "'"); }
  std::stringstream ss;
  ss << f.rdbuf();
  ATELIER_ASSIGN_OR_RETURN(edit::Layout layout, edit::parseLayout(ss.str(), a.layout));
  Packet in;
  in.text["layout_json"] = ss.str();
  in.text["prompt"] = layout.prompt;              // for the "parameters" text only
  in.text["negative_prompt"] = layout.negative;
  const auto base = std::filesystem::path(a.layout).parent_path();
  for (size_t r = 0; r < layout.regions.size(); ++r) {
    const auto& path = layout.regions[r].image_path;
    if (path.empty()) { continue; }
    std::filesystem::path p(path);
    if (p.is_relative()) { p = base / p; }   // relative to the layout file
    ATELIER_ASSIGN_OR_RETURN(at::Tensor img, loadAny(p.string()));
    in.tensors["region" + std::to_string(r) + ".image"] = img;
  }
  ParamSet p = commonParams(a);
  p.erase("prompt");
  p.erase("negative_prompt");
  p["layout"] = a.layout;
  p["region_sees_global"] = a.region_sees_global;
  p["ref_share"] = a.ref_share;
  return runStage("edit.compose.v1", p, std::move(in), a);
}

void addShared(CLI::App* c, EditArgs& a) {
  c->add_option("-m,--model", a.model, "Model folder (diffusers) or .safetensors")->required();
  c->add_option("--steps", a.steps, "Sampling steps (default 20)");
  c->add_option("--seed", a.seed, "Seed (default 0)");
  c->add_option("--cfg-scale", a.cfg, "Classifier-free guidance (default 7.5)");
  c->add_option("--sampler", a.sampler, "default|ddim|euler|dpmpp2m (default: the folder's scheduler)");
  c->add_option("--device", a.device, "cpu|cuda|cuda:N|auto (default cpu)");
  c->add_option("--dtype", a.dtype, "fp32|fp16|bf16 (default fp32)");
  c->add_option("-o,--output", a.output, "Output PNG")->required();
}

}  // namespace

void addEditCommands(CLI::App& app) {
  auto a = std::make_shared<EditArgs>();
  auto* e = app.add_subcommand("edit", "Edit an image: sdedit | p2p | inpaint | masactrl");
  e->add_option("--method", a->method, "sdedit|p2p|inpaint|masactrl")->required();
  e->add_option("-i,--input", a->input, "Input image")->required();
  e->add_option("--mask", a->mask, "Mask image for inpaint (white = regenerate)");
  e->add_option("-p,--prompt", a->prompt, "Target prompt")->required();
  e->add_option("-n,--negative-prompt", a->negative, "Negative prompt (default \"\")");
  e->add_option("--source-prompt", a->source_prompt, "Prompt describing the input (p2p, masactrl)");
  addShared(e, *a);
  e->add_option("--strength", a->strength, "sdedit: 0..1 (default 0.8)");
  e->add_option("--p2p-mode", a->p2p_mode, "p2p: auto|replace|refine|reweight (default auto)");
  e->add_option("--cross-replace", a->cross_replace, "p2p: fraction of steps (default 0.4)");
  e->add_option("--self-replace", a->self_replace, "p2p: fraction of steps (default 0.4)");
  e->add_option("--reweight-words", a->reweight_words, "p2p: target words to re-weight");
  e->add_option("--reweight-scale", a->reweight_scale, "p2p: re-weight factor (default 1)");
  e->add_option("--blend-words", a->blend_words, "p2p: LocalBlend words \"SRC,TGT\" (default off)");
  e->add_option("--blend-threshold", a->blend_threshold, "p2p: LocalBlend threshold (default 0.3)");
  e->add_flag("--null-text", a->null_text, "p2p: null-text inversion (slow; autograd through the UNet)");
  e->add_option("--null-inner-steps", a->null_inner_steps, "p2p: Adam iterations per step (default 10)");
  e->add_option("--blend-start", a->blend_start, "inpaint: fraction of first steps skipped (default 0.25)");
  e->add_flag("--noise-to-next", a->noise_to_next, "inpaint: noise the source to the latent's own timestep");
  e->add_option("--start-step", a->start_step, "masactrl: first step (default 4)");
  e->add_option("--start-layer", a->start_layer, "masactrl: first transformer block (default 10)");
  e->add_option("--save-source", a->save_source, "p2p/masactrl: also write the source branch");
  e->callback([a] { runAndReport(runEdit(*a)); });

  auto b = std::make_shared<EditArgs>();
  auto* c = app.add_subcommand("compose", "Compose regions (prompts, optional reference images) from a layout JSON");
  c->add_option("--layout", b->layout, "Layout JSON")->required();
  addShared(c, *b);
  c->add_flag("--region-sees-global", b->region_sees_global, "Region tokens also attend to the global prompt");
  c->add_option("--ref-share", b->ref_share, "Fraction of steps with reference K/V sharing (default 1)");
  c->callback([b] { runAndReport(runCompose(*b)); });
}

}  // namespace atelier::cli
