#include "edit/sampler_adapter.h"

#include <ATen/ATen.h>

namespace atelier::edit {
namespace {

class SdSampler : public Sampler {
 public:
  SdSampler(std::unique_ptr<sd::Scheduler> run, std::unique_ptr<sd::Scheduler> pure)
      : s_(std::move(run)), pure_(std::move(pure)) {}
  std::string name() const override { return sd::samplerName(s_->kind()); }
  int numSteps() const override { return static_cast<int>(s_->timesteps().size()); }
  double timestep(int i) const override { return s_->timesteps().at(static_cast<size_t>(i)); }
  double sigma(int i) const override { return s_->sigmaAt(timestep(i)); }
  double initNoiseSigma() const override { return s_->initNoiseSigma(); }
  void setBeginIndex(int i) override { s_->setBeginIndex(i); }
  at::Tensor scaleModelInput(const at::Tensor& x, int i) override { return s_->scaleModelInput(x, timestep(i)); }
  at::Tensor step(const at::Tensor& out, int i, const at::Tensor& x) override {
    return s_->step(out, timestep(i), x).prev_sample;
  }
  at::Tensor addNoise(const at::Tensor& x0, const at::Tensor& noise, int i) const override {
    return pure_->addNoise(x0, noise, timestep(i));   // no begin index: looks t up in its own timesteps
  }
  Result<at::Tensor> invertStep(const at::Tensor& out, int i, const at::Tensor& x) override {
    auto* ddim = dynamic_cast<sd::DdimScheduler*>(s_.get());
    if (!ddim) { return Status::Unsupported("DDIM inversion needs the ddim sampler, not " + name()); }
    return ddim->inverseStep(out, timestep(i), x);
  }
  bool statelessStep() const override { return s_->kind() == sd::SamplerKind::kDdim; }

 private:
  std::unique_ptr<sd::Scheduler> s_, pure_;
};

}  // namespace

Result<std::unique_ptr<Sampler>> makeSdSampler(sd::SamplerKind kind, const std::string& config_json, int steps,
                                               const std::string& label) {
  if (steps < 1) { return Status::InvalidArgument(label + ": steps must be ≥ 1"); }
  ATELIER_ASSIGN_OR_RETURN(auto a, sd::makeScheduler(kind, config_json, label));
  ATELIER_ASSIGN_OR_RETURN(auto b, sd::makeScheduler(kind, config_json, label));
  a->setTimesteps(steps);
  b->setTimesteps(steps);
  return std::unique_ptr<Sampler>(new SdSampler(std::move(a), std::move(b)));
}

}  // namespace atelier::edit
