// `upscale`: ESRGAN super-resolution with the @upscalerjs models (tiled, progress bar, alpha, 16-bit PNG),
// plus the "sr" demo step. Images via atelier_io when built; .safetensors ("image" [1,C,H,W]) always works.
#include <CLI/CLI.hpp>

#include <ATen/ATen.h>

#include <filesystem>
#include <iostream>

#include "atelier/device.h"
#include "atelier/safetensors.h"
#include "cli/common.h"
#include "sr/upscaler.h"

#if __has_include("atelier/io/image_io.h")
#include "atelier/io/image_io.h"
#define ATELIER_SR_HAVE_IO 1
#endif

namespace atelier::cli {
namespace {

struct UpscaleArgs {
  std::string model = "esrgan-slim", in, out, device = "cpu", dtype = "fp32", models_dir;
  int64_t scale = 4, tile = 256, overlap = 16, batch = 4, max_pixels = int64_t(1) << 28;
};

bool isSafetensors(const std::string& p) { return std::filesystem::path(p).extension() == ".safetensors"; }

// Reads IN as [1,C,H,W] in [0,1]; `bit_depth` receives 8 or 16. Refuses inputs above the output-pixel limit early.
Result<at::Tensor> readInput(const UpscaleArgs& a, int* bit_depth) {
  *bit_depth = 8;
  if (isSafetensors(a.in)) {
    ATELIER_ASSIGN_OR_RETURN(TensorMap m, loadSafetensors(a.in));
    auto it = m.find("image");
    if (it == m.end()) return Status::NotFound(a.in + ": no 'image' tensor");
    return it->second.to(at::kFloat);
  }
#ifdef ATELIER_SR_HAVE_IO
  ATELIER_ASSIGN_OR_RETURN(io::ImageInfo info, io::probeImage(a.in));
  const int64_t out_px = int64_t(info.width) * a.scale * info.height * a.scale;
  if (out_px > a.max_pixels) {
    return Status::InvalidArgument(a.in + ": " + std::to_string(info.width) + "x" + std::to_string(info.height) +
                                   " x" + std::to_string(a.scale) + " would give " + std::to_string(out_px) +
                                   " output pixels, above --max-pixels " + std::to_string(a.max_pixels));
  }
  io::LoadOptions lo;
  lo.keep_alpha = true;
  lo.force_rgb = false;
  io::ImageInfo got;
  ATELIER_ASSIGN_OR_RETURN(at::Tensor img, io::loadImage(a.in, lo, &got));
  *bit_depth = got.bit_depth == 16 ? 16 : 8;
  return img;
#else
  return Status::Unsupported(a.in + ": this build has no image I/O (ATELIER_WITH_OPENCV=OFF); use .safetensors");
#endif
}

Status writeOutput(const std::string& path, const at::Tensor& img, int bit_depth) {
  if (isSafetensors(path)) return saveSafetensors(path, {{"image", img.contiguous()}});
#ifdef ATELIER_SR_HAVE_IO
  io::SaveOptions so;
  so.bit_depth = std::filesystem::path(path).extension() == ".png" ? bit_depth : 8;
  return io::saveImage(path, img, so);
#else
  return Status::Unsupported(path + ": this build has no image I/O (ATELIER_WITH_OPENCV=OFF); use .safetensors");
#endif
}

Status runUpscale(const UpscaleArgs& a) {
  sr::UpscalerConfig cfg;
  cfg.model = a.model;
  cfg.scale = a.scale;
  cfg.models_dir = a.models_dir;
  ATELIER_ASSIGN_OR_RETURN(cfg.device, parseDevice(a.device));
  ATELIER_ASSIGN_OR_RETURN(cfg.dtype, parseDType(a.dtype));
  int bit_depth = 8;
  ATELIER_ASSIGN_OR_RETURN(at::Tensor img, readInput(a, &bit_depth));
  ATELIER_ASSIGN_OR_RETURN(auto up, sr::Upscaler::load(cfg));
  sr::UpscaleOptions opt;
  opt.tiles = {a.tile, a.overlap, a.batch};
  opt.max_output_pixels = a.max_pixels;
  ProgressBar bar("upscale " + a.model + " x" + std::to_string(a.scale));
  auto t0 = std::chrono::steady_clock::now();
  auto out = up->upscale(img, opt, [&bar](int64_t done, int64_t total) {
    bar.report(done, total, "tiles");
    return true;
  });
  bar.finish();
  if (!out.ok()) return out.status().withContext(a.in);
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ATELIER_RETURN_IF_ERROR(writeOutput(a.out, *out, bit_depth));
  std::cerr << a.out << ": " << out->size(3) << "x" << out->size(2) << " (" << sec << " s, "
            << out->size(2) * out->size(3) / 1e6 / sec << " output MP/s)\n";
  return Status::Ok();
}

}  // namespace

void addSrCommands(CLI::App& app) {
  auto a = std::make_shared<UpscaleArgs>();
  auto* cmd = app.add_subcommand("upscale", "Super-resolution with ESRGAN (@upscalerjs pretrained models)");
  cmd->add_option("--model", a->model, "esrgan-slim|esrgan-medium|esrgan-thick")
      ->check(CLI::IsMember(sr::knownModels()))->capture_default_str();
  cmd->add_option("--scale", a->scale, "2|3|4|8")->check(CLI::IsMember({2, 3, 4, 8}))->capture_default_str();
  cmd->add_option("-i,--input", a->in, "Input image (PNG 8/16-bit, JPEG, ... or .safetensors 'image')")->required();
  cmd->add_option("-o,--output", a->out, "Output image (16-bit PNG input → 16-bit PNG output)")->required();
  cmd->add_option("--tile", a->tile, "Tile side in input pixels (0: whole image)")->capture_default_str();
  cmd->add_option("--overlap", a->overlap, "Overlap between tiles in input pixels")->capture_default_str();
  cmd->add_option("--batch", a->batch, "Tiles per model call")->capture_default_str();
  cmd->add_option("--device", a->device, "cpu|cuda|cuda:N|auto")->capture_default_str();
  cmd->add_option("--dtype", a->dtype, "fp32|bf16|fp16 (fp16 on CUDA only)")->capture_default_str();
  cmd->add_option("--models-dir", a->models_dir, "node_modules folder with @upscalerjs/* (default: $ATELIER_MODELS_DIR "
                                                 "or the repository's node_modules)");
  cmd->add_option("--max-pixels", a->max_pixels, "Refuse outputs larger than this many pixels")->capture_default_str();
  cmd->callback([a] { runAndReport(runUpscale(*a)); });

#ifdef ATELIER_SR_HAVE_IO
  addDemoStep("sr.esrgan", [](const DemoContext& c, nlohmann::json& rep) -> Status {
    ATELIER_ASSIGN_OR_RETURN(std::string pkg, sr::findPackageDir("", "esrgan-slim"));
    UpscaleArgs a;
    a.in = pkg + "/assets/fixture.png";
    a.out = c.out_dir + "/sr_esrgan-slim_x4.png";
    a.device = c.device;
    ATELIER_RETURN_IF_ERROR(runUpscale(a));
    rep["input"] = a.in;
    rep["output"] = a.out;
    return Status::Ok();
  });
#endif
}

}  // namespace atelier::cli
