// Stub EditModel for invariant tests: the UNet output depends only on t, the "VAE" is pooling/upsampling.
#pragma once

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <functional>

#include "edit/engine.h"
#include "edit/sampler_adapter.h"

namespace atelier::test {

inline const char* kSdSchedulerJson =
    R"({"_class_name":"DDIMScheduler","beta_start":0.00085,"beta_end":0.012,"beta_schedule":"scaled_linear",
        "clip_sample":false,"set_alpha_to_one":false,"steps_offset":1,"num_train_timesteps":1000})";

class StubModel : public edit::EditModel {
 public:
  std::function<at::Tensor(const at::Tensor&, double)> eps = [](const at::Tensor& x, double t) {
    return at::full_like(x, 0.3 + t / 2000.0);
  };
  int unet_calls = 0;
  c10::Device device() const override { return c10::Device(c10::kCPU); }
  c10::ScalarType dtype() const override { return c10::kFloat; }
  std::string modelName() const override { return "stub"; }
  std::string defaultSampler() const override { return "ddim"; }
  int64_t defaultSize() const override { return 64; }
  std::vector<int64_t> encodeTokens(const std::string& text) const override {
    std::vector<int64_t> v;
    for (char c : text) {
      if (c != ' ') { v.push_back(c); }
    }
    return v;
  }
  Result<at::Tensor> encodeText(const std::vector<std::string>& p) override {
    return at::zeros({static_cast<int64_t>(p.size()), 77, 4});
  }
  at::Tensor unet(const at::Tensor& x, double t, const at::Tensor&, sd::AttentionHook*, const sd::StepInfo&) override {
    ++unet_calls;
    return eps(x, t);
  }
  Result<at::Tensor> encodeImage(const at::Tensor& img) override {
    at::Tensor p = at::avg_pool2d(img, {8, 8});
    return at::cat({p, p.mean(1, true)}, 1);
  }
  Result<at::Tensor> decodeLatents(const at::Tensor& z) override {
    return at::upsample_nearest2d(z.narrow(1, 0, 3), {z.size(2) * 8, z.size(3) * 8}).clamp(0, 1);
  }
  Result<std::unique_ptr<edit::Sampler>> makeSampler(const std::string& name, int steps) override {
    auto kind = sd::parseSampler(name.empty() ? "ddim" : name);
    if (!kind.ok()) { return kind.status(); }
    return edit::makeSdSampler(kind.value(), kSdSchedulerJson, steps, "stub scheduler");
  }
  at::Tensor noise(int64_t seed, int64_t h, int64_t w) const override {
    auto g = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed));
    return at::randn({1, 4, h, w}, g, at::TensorOptions().dtype(at::kFloat));
  }
};

}  // namespace atelier::test
