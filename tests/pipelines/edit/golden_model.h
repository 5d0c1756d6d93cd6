// Shared fixture for the property tests on ../shared/golden/sd15-tiny: the model is loaded once per process,
// and RecordingModel forwards to it while recording every UNet call (timestep, batch).
#pragma once

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "edit/engine.h"
#include "support/numeric.h"

namespace atelier::test {

inline std::string tinyModelDir() { return sharedDir() + "/golden/sd15-tiny"; }

inline std::shared_ptr<edit::EditModel> tinyModel() {
  static std::shared_ptr<edit::EditModel> m = [] {
    auto r = edit::loadEditModel(tinyModelDir(), c10::Device(c10::kCPU), c10::kFloat);
    if (!r.ok()) { ADD_FAILURE() << r.status().toString(); return std::shared_ptr<edit::EditModel>(); }
    return r.value();
  }();
  return m;
}

#define ATELIER_REQUIRE_TINY_MODEL()                                                                  \
  ATELIER_REQUIRE_SHARED();                                                                           \
  if (!std::filesystem::is_directory(::atelier::test::tinyModelDir()))                                \
    GTEST_SKIP() << "tiny golden model not found at " << ::atelier::test::tinyModelDir();            \
  ASSERT_TRUE(::atelier::test::tinyModel() != nullptr)

class RecordingModel : public edit::EditModel {
 public:
  explicit RecordingModel(std::shared_ptr<edit::EditModel> m) : m_(std::move(m)) {}
  std::vector<double> ts;
  std::vector<int64_t> batches;
  c10::Device device() const override { return m_->device(); }
  c10::ScalarType dtype() const override { return m_->dtype(); }
  std::string modelName() const override { return m_->modelName(); }
  std::string defaultSampler() const override { return m_->defaultSampler(); }
  int64_t defaultSize() const override { return m_->defaultSize(); }
  std::vector<int64_t> encodeTokens(const std::string& t) const override { return m_->encodeTokens(t); }
  Result<at::Tensor> encodeText(const std::vector<std::string>& p) override { return m_->encodeText(p); }
  at::Tensor unet(const at::Tensor& x, double t, const at::Tensor& c, sd::AttentionHook* h,
                  const sd::StepInfo& s) override {
    ts.push_back(t);
    batches.push_back(x.size(0));
    return m_->unet(x, t, c, h, s);
  }
  Result<at::Tensor> encodeImage(const at::Tensor& i) override { return m_->encodeImage(i); }
  Result<at::Tensor> decodeLatents(const at::Tensor& z) override { return m_->decodeLatents(z); }
  Result<std::unique_ptr<edit::Sampler>> makeSampler(const std::string& n, int s) override {
    return m_->makeSampler(n, s);
  }
  at::Tensor noise(int64_t seed, int64_t h, int64_t w) const override { return m_->noise(seed, h, w); }

 private:
  std::shared_ptr<edit::EditModel> m_;
};

inline at::Tensor testImage(int64_t seed = 5) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed));
  return at::rand({1, 3, 64, 64}, g, at::TensorOptions().dtype(at::kFloat));
}

inline double relErr(const at::Tensor& a, const at::Tensor& ref) {
  return MaxAbsDiff(a, ref) / ref.abs().max().item<double>();
}

}  // namespace atelier::test
