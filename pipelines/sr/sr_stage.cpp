// EsrganStage parameters, lazy model loading and registration.
#include "sr/sr_stage.h"

#include <ATen/ATen.h>

#include "atelier/device.h"

namespace atelier::sr {

std::vector<ParamSpec> EsrganStage::params() const {
  ParamSpec dir = ParamSpec::Path("models_dir", "Models folder", "", "node_modules holding @upscalerjs/* (empty: default)");
  dir.advanced = true;
  ParamSpec batch = ParamSpec::Int("batch", "Tiles per batch", 4, 1, 64, "Tiles run together in one model call");
  batch.advanced = true;
  return {
      ParamSpec::Choice("model", "Model", "esrgan-slim", knownModels(),
                        "slim: fastest; medium: better; thick: best and ~30x slower"),
      ParamSpec::Choice("scale", "Scale", "4", {"2", "3", "4", "8"}, "Upscaling factor"),
      ParamSpec::Int("tile", "Tile size", 256, 0, 4096, "Tile side in input pixels (0: whole image)"),
      ParamSpec::Int("overlap", "Tile overlap", 16, 0, 256, "Pixels shared by adjacent tiles (seams are blended)"),
      ParamSpec::Choice("dtype", "Precision", "auto", {"auto", "fp32", "bf16", "fp16"},
                        "auto: the run's dtype (fp32 on CPU when that is fp16)"),
      batch,
      dir,
  };
}

Status EsrganStage::configure(const ParamSet& values) {
  ATELIER_ASSIGN_OR_RETURN(ParamSet p, resolveParams(params(), values));
  cfg_.model = getString(p, "model", "esrgan-slim");
  cfg_.scale = std::stoll(getString(p, "scale", "4"));
  cfg_.models_dir = getString(p, "models_dir", "");
  dtype_ = getString(p, "dtype", "auto");
  opt_.tiles.tile = getInt(p, "tile", 256);
  opt_.tiles.overlap = getInt(p, "overlap", 16);
  opt_.tiles.batch = getInt(p, "batch", 4);
  if (opt_.tiles.tile > 0 && opt_.tiles.overlap >= opt_.tiles.tile) {
    return Status::InvalidArgument("overlap must be smaller than the tile size");
  }
  return Status::Ok();
}

Result<Packet> EsrganStage::process(const Packet& in, RunContext& ctx) {
  auto it = in.tensors.find("image");
  if (it == in.tensors.end()) { return Status::InvalidArgument("sr.esrgan.v1: packet has no 'image' tensor"); }
  UpscalerConfig cfg = cfg_;
  cfg.device = ctx.device;
  if (dtype_ == "auto") {
    cfg.dtype = (ctx.device.is_cpu() && ctx.dtype == c10::kHalf) ? c10::kFloat : ctx.dtype;
  } else {
    ATELIER_ASSIGN_OR_RETURN(cfg.dtype, parseDType(dtype_));
  }
  const std::string key = cfg.model + "|" + std::to_string(cfg.scale) + "|" + cfg.models_dir + "|" +
                          cfg.device.str() + "|" + dtypeName(cfg.dtype);
  if (!up_ || key != loaded_key_) {
    up_.reset();
    ATELIER_ASSIGN_OR_RETURN(up_, Upscaler::load(cfg));
    loaded_key_ = key;
  }
  const at::Tensor& img = it->second;
  Packet out = in;
  at::Tensor result;
  for (int64_t b = 0; b < (img.dim() == 4 ? img.size(0) : 1); ++b) {
    at::Tensor one = img.dim() == 4 ? img.slice(0, b, b + 1) : img;
    ATELIER_ASSIGN_OR_RETURN(at::Tensor y, up_->upscale(one, opt_, [&ctx](int64_t done, int64_t total) {
      ctx.reportProgress(done, total, "tiles");
      return !ctx.cancelRequested();
    }));
    result = result.defined() ? at::cat({result, y}, 0) : y;
  }
  out.tensors["image"] = result;
  return out;
}

}  // namespace atelier::sr

namespace atelier {

void registerSrStages() {
  StageRegistry::global().add("sr.esrgan.v1", "Super-resolution (ESRGAN)",
                              [] { return std::make_unique<sr::EsrganStage>(); });
}

}  // namespace atelier
