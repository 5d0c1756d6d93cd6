// Fake image stage for GUI tests: multiplies "image" by `gain` after `steps` sleeps of `step_ms` (cancellable,
// reporting progress and a preview); fails on purpose when `fail` is set. Registered as "test.image.v1".
#pragma once

#include <ATen/ATen.h>

#include <chrono>
#include <thread>

#include "atelier/stage.h"

namespace atelier::test {

class FakeImageStage : public Stage {
 public:
  std::string_view id() const override { return "test.image.v1"; }
  std::vector<ParamSpec> params() const override {
    return {ParamSpec::Float("gain", "Gain", 1.0, 0.0, 4.0), ParamSpec::Int("steps", "Steps", 4, 1, 1000),
            ParamSpec::Int("step_ms", "Step ms", 5, 0, 1000), ParamSpec::Bool("fail", "Fail", false),
            ParamSpec::Choice("model_dtype", "Precision", "fp32", {"fp32", "bf16"}),
            ParamSpec::Text("inject", "Inject corruption", "", "name:severity, as the ctta stages")};
  }
  Status configure(const ParamSet& v) override {
    gain_ = getFloat(v, "gain", 1.0);
    steps_ = getInt(v, "steps", 4);
    step_ms_ = getInt(v, "step_ms", 5);
    fail_ = getBool(v, "fail", false);
    return Status::Ok();
  }
  // in: "image" [1,3,H,W] in [0,1] (optional: an 8x8 grey image is made when absent)
  Result<Packet> process(const Packet& in, RunContext& ctx) override {
    at::Tensor img = in.tensors.count("image") ? in.tensors.at("image") : at::full({1, 3, 8, 8}, 0.5f);
    for (int64_t i = 0; i < steps_; ++i) {
      if (ctx.cancelRequested()) { return Status::Cancelled(); }
      std::this_thread::sleep_for(std::chrono::milliseconds(step_ms_));
      ctx.reportProgress(i + 1, steps_, "fake");
      if (i == 0 && ctx.progress) { ctx.progress->preview(img); }
    }
    if (fail_) { return Status::Internal("test.image.v1: failing on purpose"); }
    Packet out = in;
    out.tensors["image"] = (img * gain_).clamp(0.0, 1.0);
    out.scalars["entropy"] = 0.25;
    return out;
  }

 private:
  double gain_ = 1.0;
  int64_t steps_ = 4, step_ms_ = 5;
  bool fail_ = false;
};

inline void registerFakeStages() {
  static const bool once = [] {
    StageRegistry::global().add("test.image.v1", "Fake image stage",
                                [] { return std::make_unique<FakeImageStage>(); });
    return true;
  }();
  (void)once;
}

}  // namespace atelier::test
