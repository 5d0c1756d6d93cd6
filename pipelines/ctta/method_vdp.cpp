// VDP-like (Atelier variant of "Decorate the Newcomers", Gan et al. 2023; no official code exists):
// the classifier is frozen (BN on batch statistics, as every other adapting method here); two additive
// full-image prompts x_p = x + DAP + DSP ([1,3,H,W], zero init) are learned: DSP (domain-specific, Adam dsp_lr)
// and DAP (domain-agnostic, Adam dap_lr, homeostasis penalty λ·Σ Λ·(DAP − DAP*)² with Λ the normalised
// accumulated |ΔDAP| of the previous domain). An EMA teacher of the prompts gives the soft-CE target and the
// returned prediction (computed before the update). A domain change is declared when the batch mean teacher
// confidence leaves its EMA by more than `shift_threshold`; then DSP is reset and DAP*, Λ re-estimated.
#include <torch/torch.h>

#include <cmath>

#include "ctta/method_impl.h"
#include "ctta/method_util.h"

namespace atelier::ctta {
namespace {
class VdpMethod : public CttaMethod {
 public:
  VdpMethod(std::shared_ptr<Classifier> m, ParamSet p) : model_(std::move(m)), p_(std::move(p)) {
    mu::setBatchStatsMode(model_->net());
    reset();
  }
  Result<at::Tensor> forwardAndAdapt(const at::Tensor& x) override {
    if (!dap_.defined() || dap_.sizes() != at::IntArrayRef{1, x.size(1), x.size(2), x.size(3)}) initPrompts(x);
    at::Tensor target;
    {
      torch::NoGradGuard ng;
      target = model_->logits(x + t_dap_ + t_dsp_);
      const double conf = target.softmax(1).amax(1).mean().item<double>();
      if (conf_ema_ >= 0 && std::abs(conf - conf_ema_) > getFloat(p_, "shift_threshold", 0.1)) domainChange();
      conf_ema_ = conf_ema_ < 0 ? conf : 0.9 * conf_ema_ + 0.1 * conf;
    }
    at::Tensor before = dap_.detach().clone();
    at::Tensor y = model_->logits(x + dap_ + dsp_);
    at::Tensor loss = mu::softCE(y, target).mean();
    if (lambda_.defined()) loss = loss + getFloat(p_, "homeostasis", 1.0) * (lambda_ * (dap_ - dap_star_).pow(2)).sum();
    opt_->zero_grad();
    loss.backward();
    opt_->step();
    torch::NoGradGuard ng;
    delta_acc_ += (dap_ - before).abs();
    const double m = getFloat(p_, "ema", 0.999);
    t_dap_.mul_(m).add_(dap_, 1 - m);
    t_dsp_.mul_(m).add_(dsp_, 1 - m);
    return target;
  }
  Result<at::Tensor> predict(const at::Tensor& x) override {
    torch::NoGradGuard ng;
    if (!t_dap_.defined()) return model_->logits(x);
    return model_->logits(x + t_dap_ + t_dsp_);
  }
  Status reset() override {
    dap_ = dsp_ = t_dap_ = t_dsp_ = lambda_ = at::Tensor();
    conf_ema_ = -1;
    shifts_ = 0;
    return Status::Ok();
  }
  std::string name() const override { return "vdp"; }
  const Classifier* model() const override { return model_.get(); }   // frozen; the prompts adapt
  std::map<std::string, double> stats() const override { return {{"domain_changes", double(shifts_)}}; }

 private:
  void initPrompts(const at::Tensor& x) {
    auto z = torch::zeros({1, x.size(1), x.size(2), x.size(3)}, x.options());
    dap_ = z.clone().requires_grad_(true);
    dsp_ = z.clone().requires_grad_(true);
    t_dap_ = z.clone();
    t_dsp_ = z.clone();
    dap_star_ = z.clone();
    delta_acc_ = z.clone();
    makeOpt();
  }
  void makeOpt() {
    std::vector<torch::optim::OptimizerParamGroup> g;
    g.emplace_back(std::vector<at::Tensor>{dap_}, std::make_unique<torch::optim::AdamOptions>(getFloat(p_, "dap_lr", 1e-4)));
    g.emplace_back(std::vector<at::Tensor>{dsp_}, std::make_unique<torch::optim::AdamOptions>(getFloat(p_, "dsp_lr", 1e-3)));
    opt_ = std::make_unique<torch::optim::Adam>(g, torch::optim::AdamOptions(1e-3));
  }
  void domainChange() {
    ++shifts_;
    dap_star_ = dap_.detach().clone();
    const double mean = delta_acc_.mean().item<double>();
    lambda_ = mean > 0 ? delta_acc_ / mean : torch::zeros_like(delta_acc_);
    delta_acc_.zero_();
    dsp_.detach().zero_();
    t_dsp_.zero_();
    makeOpt();
  }
  std::shared_ptr<Classifier> model_;
  ParamSet p_;
  at::Tensor dap_, dsp_, t_dap_, t_dsp_, dap_star_, lambda_, delta_acc_;
  std::unique_ptr<torch::optim::Optimizer> opt_;
  double conf_ema_ = -1;
  int64_t shifts_ = 0;
};
}  // namespace

Result<std::unique_ptr<CttaMethod>> makeVdp(std::shared_ptr<Classifier> m, const ParamSet& p, const MethodContext&) {
  return std::unique_ptr<CttaMethod>(std::make_unique<VdpMethod>(m, p));
}

}  // namespace atelier::ctta
