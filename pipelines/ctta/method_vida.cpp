// ViDA, Atelier CNN variant (Yangsenqiao/vida ported from ViT attention linears to the WideResNet block convs):
// low-rank (r=1) + high-rank (r=128) 1×1 adapters in parallel to every block 3×3 conv, up-projections start at
// zero, no source pre-training of the adapters; BN on batch statistics in student and teacher (CNN; the ViT has
// LayerNorm). Per batch: teacher on 10 augmented views -> uncertainty U = 0.1·mean(unbiased var); homeostatic
// scaling (code behaviour: only the low-rank scale follows it unless update_high_scale); teacher logits on x are
// returned; student soft-CE to the teacher; Adam with backbone lr and adapter lr; EMA; stochastic restore.
#include <torch/torch.h>

#include "ctta/method_impl.h"
#include "ctta/method_util.h"

namespace atelier::ctta {
namespace {
class VidaMethod : public TeacherStudentMethod {
 public:
  VidaMethod(std::shared_ptr<Classifier> s, ParamSet p, const MethodContext& c)
      : TeacherStudentMethod(std::move(s), std::move(p), c) {
    opt_ = makeOptimizer();
  }
  Result<at::Tensor> forwardAndAdapt(const at::Tensor& x) override {
    // x: [B,3,H,W] in [0,1] -> [B,C] teacher logits on x (pre-update)
    at::Tensor target;
    {
      torch::NoGradGuard ng;
      const int64_t n_aug = getInt(p_, "n_augment", 10);
      std::vector<at::Tensor> outs;
      for (int64_t i = 0; i < n_aug; ++i) outs.push_back(teacher_->logits(aug_(x)));
      unc_ = n_aug > 1 ? 0.1 * torch::stack(outs).var(0, /*unbiased=*/true).mean().item<double>() : 0.0;
      const bool high = unc_ >= getFloat(p_, "unc_thr", 0.05);
      const double s_high = high ? 1 + unc_ : 1 - unc_, s_low = high ? 1 - unc_ : 1 + unc_;
      for (auto* m : {student_.get(), teacher_.get()})
        for (auto& a : m->net().adapters()) {
          a->scale_low = s_low;
          if (getBool(p_, "update_high_scale", false)) a->scale_high = s_high;
        }
      target = teacher_->logits(x);
    }
    at::Tensor y = student_->logits(x);
    update(mu::softCE(y, target).mean(), 0.1);
    return target;
  }
  std::string name() const override { return "vida"; }
  std::map<std::string, double> stats() const override { return {{"uncertainty", unc_}}; }

 private:
  std::unique_ptr<torch::optim::Optimizer> makeOptimizer() override {
    std::vector<at::Tensor> backbone, adapters;
    for (auto& [n, t] : params_) (n.find("vida") != std::string::npos ? adapters : backbone).push_back(t);
    const double lr = getFloat(p_, "lr", 1e-4), lr_ad = getFloat(p_, "adapter_lr", 1e-5);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(backbone, std::make_unique<torch::optim::AdamOptions>(lr));
    groups.emplace_back(adapters, std::make_unique<torch::optim::AdamOptions>(lr_ad));
    return std::make_unique<torch::optim::Adam>(groups, torch::optim::AdamOptions(lr));
  }
  double unc_ = 0;
};
}  // namespace

Result<std::unique_ptr<CttaMethod>> makeVida(std::shared_ptr<Classifier> m, const ParamSet& p, const MethodContext& c) {
  ATELIER_RETURN_IF_ERROR(m->net().addAdapters(getInt(p, "rank_low", 1), getInt(p, "rank_high", 128))
                              .withContext("vida"));
  m->to(m->device());
  return std::unique_ptr<CttaMethod>(std::make_unique<VidaMethod>(m, p, c));
}

}  // namespace atelier::ctta
