// Source, BN-adapt, Tent and EATA (entropy-minimisation family on BatchNorm affine parameters).
#include <torch/torch.h>

#include <cmath>

#include "ctta/method_impl.h"
#include "ctta/method_util.h"

namespace atelier::ctta {

namespace {
class SourceMethod : public CttaMethod {   // eval mode, running statistics, no updates
 public:
  explicit SourceMethod(std::shared_ptr<Classifier> m) : model_(std::move(m)) { model_->net().eval(); }
  Result<at::Tensor> forwardAndAdapt(const at::Tensor& x) override {
    torch::NoGradGuard ng;
    return model_->logits(x);
  }
  Result<at::Tensor> predict(const at::Tensor& x) override { return forwardAndAdapt(x); }
  Status reset() override { return Status::Ok(); }
  std::string name() const override { return "source"; }
  const Classifier* model() const override { return model_.get(); }

 private:
  std::shared_ptr<Classifier> model_;
};

class BnMethod : public CttaMethod {   // DequanWang/tent norm.py: BN on batch statistics, no gradients
 public:
  explicit BnMethod(std::shared_ptr<Classifier> m) : model_(std::move(m)) { mu::setBatchStatsMode(model_->net()); }
  Result<at::Tensor> forwardAndAdapt(const at::Tensor& x) override {
    torch::NoGradGuard ng;
    return model_->logits(x);
  }
  Result<at::Tensor> predict(const at::Tensor& x) override { return forwardAndAdapt(x); }
  Status reset() override { return Status::Ok(); }   // batch statistics carry no state
  std::string name() const override { return "bn"; }
  const Classifier* model() const override { return model_.get(); }

 private:
  std::shared_ptr<Classifier> model_;
};

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(const std::vector<at::Tensor>& params, const ParamSet& p) {
  const double lr = getFloat(p, "lr", 1e-3);
  if (getString(p, "optimizer", "adam") == "sgd")
    return std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(lr).momentum(getFloat(p, "momentum", 0.9)).nesterov(getBool(p, "nesterov", false)));
  return std::make_unique<torch::optim::Adam>(
      params, torch::optim::AdamOptions(lr).betas({getFloat(p, "beta1", 0.9), 0.999}).weight_decay(0));
}

// Tent (DequanWang/tent): BN affine only, entropy loss, `steps` updates per batch, prediction of the first pass.
class TentMethod : public CttaMethod {
 public:
  TentMethod(std::shared_ptr<Classifier> m, ParamSet p) : model_(std::move(m)), p_(std::move(p)) {
    mu::setBatchStatsMode(model_->net());
    params_ = mu::bnAffine(model_->net());
    for (auto& t : params_) t.requires_grad_(true);
    source_ = model_->clone().value();
    opt_ = makeOptimizer(params_, p_);
  }
  Result<at::Tensor> forwardAndAdapt(const at::Tensor& x) override {
    at::Tensor first;
    const int64_t steps = getInt(p_, "steps", 1);
    for (int64_t s = 0; s < steps; ++s) {
      at::Tensor y = model_->logits(x);
      if (s == 0) first = y.detach();
      at::Tensor loss = mu::entropy(y).mean();
      opt_->zero_grad();
      loss.backward();
      opt_->step();
      last_loss_ = loss.item<double>();
    }
    return first;
  }
  Result<at::Tensor> predict(const at::Tensor& x) override {
    torch::NoGradGuard ng;
    return model_->logits(x);
  }
  Status reset() override {
    model_->copyFrom(*source_);
    opt_ = makeOptimizer(params_, p_);
    return Status::Ok();
  }
  std::string name() const override { return "tent"; }
  const Classifier* model() const override { return model_.get(); }
  std::map<std::string, double> stats() const override { return {{"loss", last_loss_}}; }

 private:
  std::shared_ptr<Classifier> model_, source_;
  ParamSet p_;
  std::vector<at::Tensor> params_;
  std::unique_ptr<torch::optim::Optimizer> opt_;
  double last_loss_ = 0;
};

// EATA (mr-eggplant/EATA eata.py): reliable + non-redundant sample selection, re-weighted entropy, EWC.
class EataMethod : public CttaMethod {
 public:
  EataMethod(std::shared_ptr<Classifier> m, ParamSet p, const MethodContext& ctx)
      : model_(std::move(m)), p_(std::move(p)) {
    mu::setBatchStatsMode(model_->net());
    params_ = mu::bnAffine(model_->net());
    for (auto& t : params_) t.requires_grad_(true);
    source_ = model_->clone().value();
    e_margin_ = getFloat(p_, "e_margin_factor", 0.4) * std::log(double(model_->spec().num_classes));
    if (ctx.source_images.defined() && ctx.source_images.size(0) > 0 && getInt(p_, "fisher_size", 2000) > 0 &&
        getFloat(p_, "fisher_alpha", 1.0) > 0)
      computeFisher(ctx.source_images);
    opt_ = makeOptimizer(params_, p_);
  }
  Result<at::Tensor> forwardAndAdapt(const at::Tensor& x) override {
    at::Tensor y = model_->logits(x);
    at::Tensor ent = mu::entropy(y);
    at::Tensor keep1 = ent.lt(e_margin_).nonzero().squeeze(1);
    at::Tensor e = ent.index_select(0, keep1);
    at::Tensor probs1 = y.index_select(0, keep1).softmax(1);
    at::Tensor sel_probs = probs1;
    if (pbar_.defined()) {
      at::Tensor cos = torch::cosine_similarity(pbar_.unsqueeze(0), probs1, 1);
      at::Tensor keep2 = cos.abs().lt(getFloat(p_, "d_margin", 0.4)).nonzero().squeeze(1);
      e = e.index_select(0, keep2);
      sel_probs = probs1.index_select(0, keep2);
    }
    {
      torch::NoGradGuard ng;
      if (sel_probs.size(0) > 0) {
        at::Tensor mean = sel_probs.detach().mean(0);
        pbar_ = pbar_.defined() ? 0.9 * pbar_ + 0.1 * mean : mean;
      }
    }
    kept_ = double(e.size(0));
    if (e.size(0) > 0) {
      at::Tensor coeff = torch::exp(-(e.detach() - e_margin_));
      at::Tensor loss = (e * coeff).mean();
      if (!fisher_.empty()) {
        const double alpha = getFloat(p_, "fisher_alpha", 1.0);
        for (size_t i = 0; i < params_.size(); ++i)
          loss = loss + alpha * (fisher_[i] * (params_[i] - theta0_[i]).pow(2)).sum();
      }
      opt_->zero_grad();
      loss.backward();
      opt_->step();
    }
    return y.detach();
  }
  Result<at::Tensor> predict(const at::Tensor& x) override {
    torch::NoGradGuard ng;
    return model_->logits(x);
  }
  Status reset() override {
    model_->copyFrom(*source_);
    pbar_ = at::Tensor();
    opt_ = makeOptimizer(params_, p_);
    return Status::Ok();
  }
  std::string name() const override { return "eata"; }
  const Classifier* model() const override { return model_.get(); }
  std::string note() const override {   // the archives usually have no train/ images: say so wherever results go
    if (!fisher_.empty()) return "";
    return getFloat(p_, "fisher_alpha", 1.0) > 0 && getInt(p_, "fisher_size", 2000) > 0
               ? "no Fisher: no source training images" : "no Fisher: disabled by parameters";
  }
  std::map<std::string, double> stats() const override { return {{"kept", kept_}}; }

 private:
  void computeFisher(const at::Tensor& src) {
    const int64_t bs = getInt(p_, "fisher_batch", 200), n = std::min<int64_t>(src.size(0), getInt(p_, "fisher_size", 2000));
    fisher_.assign(params_.size(), at::Tensor());
    int64_t batches = 0;
    for (int64_t b = 0; b < n; b += bs) {
      at::Tensor xb = src.slice(0, b, std::min(n, b + bs)).to(model_->device());
      at::Tensor y = model_->logits(xb);
      at::Tensor loss = torch::nn::functional::cross_entropy(y, y.argmax(1).detach());
      for (auto& t : params_) if (t.grad().defined()) t.mutable_grad().zero_();
      loss.backward();
      for (size_t i = 0; i < params_.size(); ++i) {
        at::Tensor g2 = params_[i].grad().detach().pow(2);
        fisher_[i] = fisher_[i].defined() ? fisher_[i] + g2 : g2;
      }
      ++batches;
    }
    for (auto& f : fisher_) f = f / double(std::max<int64_t>(batches, 1));
    for (auto& t : params_) { theta0_.push_back(t.detach().clone()); if (t.grad().defined()) t.mutable_grad().zero_(); }
  }
  std::shared_ptr<Classifier> model_, source_;
  ParamSet p_;
  std::vector<at::Tensor> params_, fisher_, theta0_;
  std::unique_ptr<torch::optim::Optimizer> opt_;
  at::Tensor pbar_;
  double e_margin_ = 0, kept_ = 0;
};
}  // namespace

std::unique_ptr<CttaMethod> makeSource(std::shared_ptr<Classifier> m) { return std::make_unique<SourceMethod>(m); }
std::unique_ptr<CttaMethod> makeBn(std::shared_ptr<Classifier> m) { return std::make_unique<BnMethod>(m); }
std::unique_ptr<CttaMethod> makeTent(std::shared_ptr<Classifier> m, const ParamSet& p) {
  return std::make_unique<TentMethod>(m, p);
}
std::unique_ptr<CttaMethod> makeEata(std::shared_ptr<Classifier> m, const ParamSet& p, const MethodContext& c) {
  return std::make_unique<EataMethod>(m, p, c);
}
std::unique_ptr<torch::optim::Optimizer> makeMethodOptimizer(const std::vector<at::Tensor>& params, const ParamSet& p) {
  return makeOptimizer(params, p);
}

}  // namespace atelier::ctta
