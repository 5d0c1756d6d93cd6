// Model lookup, loading and the image-level upscale (range, alpha, gray, limits) around the tiled network.
#include "sr/upscaler.h"

#include <ATen/ATen.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>

#include "sr/tfjs_net.h"

#ifndef ATELIER_SR_SOURCE_DIR
#define ATELIER_SR_SOURCE_DIR "."
#endif

namespace atelier::sr {
namespace fs = std::filesystem;

const std::vector<std::string>& knownModels() {
  static const std::vector<std::string> m = {"esrgan-slim", "esrgan-medium", "esrgan-thick"};
  return m;
}

const std::vector<int64_t>& knownScales() {
  static const std::vector<int64_t> s = {2, 3, 4, 8};
  return s;
}

std::string defaultModelsDir() {
  if (const char* env = std::getenv("ATELIER_MODELS_DIR"); env && *env) return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path p = exe.parent_path(); !p.empty(); p = p.parent_path()) {
      if (fs::is_directory(p / "node_modules" / "@upscalerjs", ec)) return (p / "node_modules").string();
      if (p == p.root_path()) break;
    }
  }
  return (fs::path(ATELIER_SR_SOURCE_DIR) / "node_modules").string();
}

Result<std::string> findPackageDir(const std::string& models_dir, const std::string& name) {
  const fs::path dir = models_dir.empty() ? fs::path(defaultModelsDir()) : fs::path(models_dir);
  std::error_code ec;
  for (const fs::path& p : {dir / "@upscalerjs" / name, dir / "node_modules" / "@upscalerjs" / name}) {
    if (fs::is_directory(p / "models", ec)) return p.string();
  }
  if (dir.filename() == name && fs::is_directory(dir / "models", ec)) return dir.string();   // a package folder
  return Status::NotFound("model package @upscalerjs/" + name + " not found under '" + dir.string() +
                          "' (run scripts/setup.sh or `npm ci` in the repository root, or pass --models-dir / set "
                          "ATELIER_MODELS_DIR to a node_modules folder)");
}

Result<std::string> findModelJson(const std::string& models_dir, const std::string& name, int64_t scale) {
  bool known = false;
  for (const std::string& k : knownModels()) known |= k == name;
  if (!known) { return Status::InvalidArgument("unknown model '" + name + "' (esrgan-slim|esrgan-medium|esrgan-thick)"); }
  ATELIER_ASSIGN_OR_RETURN(std::string pkg, findPackageDir(models_dir, name));
  fs::path j = fs::path(pkg) / "models" / ("x" + std::to_string(scale)) / "model.json";
  if (!fs::exists(j)) {
    return Status::NotFound(j.string() + ": no x" + std::to_string(scale) + " model in @upscalerjs/" + name +
                            " (scales: 2, 3, 4, 8)");
  }
  return j.string();
}

Result<std::shared_ptr<Upscaler>> Upscaler::fromModel(const TfjsModel& m, c10::Device device, c10::ScalarType dtype,
                                                      double input_range, bool fuse) {
  if (device.is_cpu() && dtype == c10::kHalf) {
    return Status::Unsupported("fp16 is not supported on CPU; use --dtype bf16 or fp32");
  }
  if (dtype != c10::kFloat && dtype != c10::kHalf && dtype != c10::kBFloat16) {
    return Status::InvalidArgument("unsupported compute dtype (fp32|bf16|fp16)");
  }
  NetOptions no;
  no.fuse_upsample_conv = fuse;
  ATELIER_ASSIGN_OR_RETURN(std::shared_ptr<TfjsNetImpl> net, TfjsNetImpl::build(m, no));
  if (net->inChannels() != 3) { return Status::Unsupported(m.path + ": model input must have 3 channels"); }
  net->eval();
  net->to(device, dtype);
  auto up = std::make_shared<Upscaler>();
  up->net_ = net;
  up->scale_ = net->scale();
  up->range_ = input_range > 0 ? input_range : (m.isRrdn() ? 1.0 : 255.0);
  up->device_ = device;
  up->dtype_ = dtype;
  return up;
}

Result<std::shared_ptr<Upscaler>> Upscaler::load(const UpscalerConfig& cfg) {
  ATELIER_ASSIGN_OR_RETURN(std::string path, findModelJson(cfg.models_dir, cfg.model, cfg.scale));
  ATELIER_ASSIGN_OR_RETURN(TfjsModel m, readTfjsModel(path));
  if (m.scale() != cfg.scale) {
    return Status::Corruption(path + ": topology upscales x" + std::to_string(m.scale()) + ", expected x" +
                              std::to_string(cfg.scale));
  }
  return fromModel(m, cfg.device, cfg.dtype, 0, cfg.fuse_upsample_conv);
}

at::Tensor Upscaler::forward01(const at::Tensor& rgb) const {
  // rgb: [B,3,h,w] in [0,1] → [B,3,h·s,w·s]
  c10::InferenceMode guard;
  at::Tensor x = rgb.to(device_, dtype_);
  if (range_ != 1.0) x = x * range_;
  at::Tensor y = net_->forward(x).to(rgb.device(), at::kFloat);
  if (range_ != 1.0) y.div_(range_);
  return y;
}

Result<at::Tensor> Upscaler::upscale(const at::Tensor& image, const UpscaleOptions& opt,
                                     const TileProgress& progress) const {
  // image: [1,C,H,W] in [0,1], C ∈ {1,3,4}
  at::Tensor x = image.dim() == 3 ? image.unsqueeze(0) : image;
  if (x.dim() != 4 || x.size(0) != 1 || (x.size(1) != 1 && x.size(1) != 3 && x.size(1) != 4)) {
    return Status::InvalidArgument("upscale: expected a [1,C,H,W] image with C = 1, 3 or 4, got " +
                                   std::to_string(x.dim()) + "-d tensor");
  }
  const int64_t c = x.size(1), h = x.size(2), w = x.size(3), s = scale_;
  if (h < 1 || w < 1) return Status::InvalidArgument("upscale: empty image");
  if (h * s * w * s > opt.max_output_pixels) {
    return Status::InvalidArgument("upscale: " + std::to_string(w) + "x" + std::to_string(h) + " x" +
                                   std::to_string(s) + " would give " + std::to_string(h * s * w * s) +
                                   " output pixels, above the limit of " + std::to_string(opt.max_output_pixels) +
                                   " (use a smaller scale or raise the pixel limit)");
  }
  x = x.to(at::kCPU, at::kFloat).contiguous();
  at::Tensor rgb = c == 4 ? x.slice(1, 0, 3) : c == 1 ? x.expand({1, 3, h, w}) : x;
  // On CUDA the tiles are cut and blended on the device (no per-tile host round trips).
  ATELIER_ASSIGN_OR_RETURN(at::Tensor out,
                           runTiled([this](const at::Tensor& t) { return forward01(t); },
                                    rgb.to(device_.is_cuda() ? device_ : c10::Device(c10::kCPU)).contiguous(), s,
                                    opt.tiles, progress));
  out = out.clamp_(0.0, 1.0).to(at::kCPU);
  if (c == 1) return out.mean(1, /*keepdim=*/true);
  if (c == 4) {
    namespace F = torch::nn::functional;
    at::Tensor a = F::interpolate(x.slice(1, 3, 4), F::InterpolateFuncOptions()
                                                        .size(std::vector<int64_t>{h * s, w * s})
                                                        .mode(torch::kBicubic)
                                                        .align_corners(false));
    return at::cat({out, a.clamp_(0.0, 1.0)}, 1);
  }
  return out;
}

}  // namespace atelier::sr
