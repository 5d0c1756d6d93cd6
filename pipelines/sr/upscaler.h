// ESRGAN upscaler: finds an @upscalerjs model in a node_modules folder, builds it, and upscales [0,1] images
// (tiled, batched, alpha bicubic, gray kept gray, output-size limit).
// Thread-safety: upscale() is const and may be called from one thread at a time per instance.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <memory>
#include <string>
#include <vector>

#include "atelier/status.h"
#include "sr/tfjs_model.h"
#include "sr/tiling.h"

namespace atelier::sr {

class TfjsNetImpl;

const std::vector<std::string>& knownModels();          // {"esrgan-slim", "esrgan-medium", "esrgan-thick"}
const std::vector<int64_t>& knownScales();              // {2, 3, 4, 8}
// $ATELIER_MODELS_DIR, else the first node_modules found above the executable, else <source dir>/node_modules.
std::string defaultModelsDir();
// <dir>/@upscalerjs/<name>/models/x<s>/model.json (also accepts <dir> = a package folder). NotFound explains setup.
Result<std::string> findModelJson(const std::string& models_dir, const std::string& name, int64_t scale);
// <dir>/@upscalerjs/<name> (for the packaged fixture pairs).
Result<std::string> findPackageDir(const std::string& models_dir, const std::string& name);

struct UpscalerConfig {
  std::string model = "esrgan-slim";
  int64_t scale = 4;
  std::string models_dir;                    // empty: defaultModelsDir()
  c10::Device device = c10::Device(c10::kCPU);
  c10::ScalarType dtype = c10::kFloat;       // fp32 | bf16 | fp16 (fp16 needs CUDA)
  bool fuse_upsample_conv = true;            // see NetOptions
};

struct UpscaleOptions {
  TileOptions tiles;
  int64_t max_output_pixels = int64_t(1) << 28;   // refuse larger outputs (≈ 268 MP, 3.2 GB as float RGB)
};

class Upscaler {
 public:
  // Reads and builds the model named by `cfg`. Errors name the file.
  static Result<std::shared_ptr<Upscaler>> load(const UpscalerConfig& cfg);
  // Builds from an already-read model; input_range 0 = auto (255 for RDN, 1 for RRDN/thick, per the packages).
  static Result<std::shared_ptr<Upscaler>> fromModel(const TfjsModel& m, c10::Device device, c10::ScalarType dtype,
                                                     double input_range = 0, bool fuse_upsample_conv = true);
  // image: [1,C,H,W] or [C,H,W] float in [0,1], C ∈ {1,3,4} → [1,C,H·s,W·s] float32 in [0,1] (CPU).
  Result<at::Tensor> upscale(const at::Tensor& image, const UpscaleOptions& opt, const TileProgress& progress = {}) const;
  // rgb: [B,3,h,w] in [0,1] (any device) → [B,3,h·s,w·s] fp32 on rgb's device, unclamped.
  at::Tensor forward01(const at::Tensor& rgb) const;
  int64_t scale() const { return scale_; }
  double inputRange() const { return range_; }
  c10::Device device() const { return device_; }
  c10::ScalarType dtype() const { return dtype_; }

 private:
  std::shared_ptr<TfjsNetImpl> net_;
  int64_t scale_ = 1;
  double range_ = 255;
  c10::Device device_ = c10::Device(c10::kCPU);
  c10::ScalarType dtype_ = c10::kFloat;
};

}  // namespace atelier::sr
