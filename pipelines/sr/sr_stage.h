// The "sr.esrgan.v1" stage (GUI/demo/runner): Packet "image" [1,C,H,W] in [0,1] → upscaled "image".
#pragma once

#include <memory>
#include <string>

#include "atelier/stage.h"
#include "sr/upscaler.h"

namespace atelier::sr {

class EsrganStage : public Stage {
 public:
  std::string_view id() const override { return "sr.esrgan.v1"; }
  std::string_view label() const override { return "Super-resolution (ESRGAN)"; }
  std::vector<ParamSpec> params() const override;     // model, scale, tile, overlap, dtype, models_dir
  Status configure(const ParamSet& values) override;  // validates; the model loads lazily on the next process()
  Result<Packet> process(const Packet& in, RunContext& ctx) override;

 private:
  UpscalerConfig cfg_;
  std::string dtype_ = "auto";
  UpscaleOptions opt_;
  std::shared_ptr<Upscaler> up_;
  std::string loaded_key_;
};

}  // namespace atelier::sr
