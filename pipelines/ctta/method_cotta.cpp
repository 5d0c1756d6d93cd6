// CoTTA (qinenergy/cotta): student + EMA teacher + anchor, 32-view augmentation averaging when the anchor is
// unsure, soft-CE (CIFAR) or symmetric CE (ImageNet), EMA update, stochastic restore. Returns the teacher target.
#include <torch/torch.h>

#include "ctta/method_impl.h"
#include "ctta/method_util.h"

namespace atelier::ctta {
namespace {
class CottaMethod : public TeacherStudentMethod {
 public:
  CottaMethod(std::shared_ptr<Classifier> m, ParamSet p, const MethodContext& c)
      : TeacherStudentMethod(std::move(m), std::move(p), c) {
    anchor_ = source_->clone().value();
    opt_ = makeOptimizer();
  }
  Result<at::Tensor> forwardAndAdapt(const at::Tensor& x) override {
    // x: [B,3,H,W] in [0,1] -> [B,C] teacher target (pre-update)
    at::Tensor target;
    {
      torch::NoGradGuard ng;
      const double conf = anchor_->logits(x).softmax(1).amax(1).mean().item<double>();
      const int64_t n_aug = getInt(p_, "n_augment", 32);
      used_aug_ = conf < getFloat(p_, "ap", 0.92) || getBool(p_, "always_augment", false);
      at::Tensor standard = teacher_->logits(x);
      if (used_aug_ && n_aug > 0) {
        at::Tensor acc = torch::zeros_like(standard);
        for (int64_t i = 0; i < n_aug; ++i) acc += teacher_->logits(aug_(x));
        target = acc / double(n_aug);
      } else {
        target = standard;
      }
      anchor_conf_ = conf;
    }
    at::Tensor y = student_->logits(x);
    at::Tensor loss = getBool(p_, "symmetric_ce", false)
                          ? (0.5 * mu::softCE(y, target) + 0.5 * mu::softCE(target, y)).mean()
                          : mu::softCE(y, target).mean();
    update(loss, 0.01);
    return target;
  }
  std::string name() const override { return "cotta"; }
  std::map<std::string, double> stats() const override {
    return {{"anchor_conf", anchor_conf_}, {"augmented", used_aug_ ? 1.0 : 0.0}};
  }

 private:
  std::unique_ptr<torch::optim::Optimizer> makeOptimizer() override {
    std::vector<at::Tensor> ps;
    for (auto& [n, t] : params_) ps.push_back(t);
    return makeMethodOptimizer(ps, p_);
  }
  std::shared_ptr<Classifier> anchor_;
  double anchor_conf_ = 0;
  bool used_aug_ = false;
};
}  // namespace

Result<std::unique_ptr<CttaMethod>> makeCotta(std::shared_ptr<Classifier> m, const ParamSet& p, const MethodContext& c) {
  return std::unique_ptr<CttaMethod>(std::make_unique<CottaMethod>(m, p, c));
}

}  // namespace atelier::ctta
