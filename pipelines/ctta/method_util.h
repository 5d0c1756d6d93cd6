// Internal helpers shared by the CTTA methods.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "ctta/augment.h"
#include "ctta/classifier.h"
#include "ctta/method.h"

namespace atelier::ctta::mu {

at::Tensor entropy(const at::Tensor& logits);                            // [B,C] -> [B]
at::Tensor softCE(const at::Tensor& student, const at::Tensor& teacher); // -Σ softmax(t)·log_softmax(s), [B]
// torch::nn::BatchNorm2d or a BatchNormLike module (TorchScript BatchNorm mirror).
bool isBatchNorm(const torch::nn::Module& m);
// BN in batch-statistics mode (train) and everything else in eval; requires_grad off for all parameters.
void setBatchStatsMode(ClassifierNet& net);
// BatchNorm affine parameters (weight, bias) of the net.
std::vector<at::Tensor> bnAffine(ClassifierNet& net);
// All "weight"/"bias" parameters (CoTTA's trainable set) and their names.
std::vector<std::pair<std::string, at::Tensor>> weightsAndBiases(torch::nn::Module& m);
// ema ← m·ema + (1−m)·student for every parameter (same names).
void emaUpdate(torch::nn::Module& ema, torch::nn::Module& student, double m);
// θ ← mask·θ_src + (1−mask)·θ, mask ~ Bernoulli(p), for the named parameters.
void stochasticRestore(const std::vector<std::pair<std::string, at::Tensor>>& params,
                       const std::map<std::string, at::Tensor>& source, double p);
// One mean-teacher update (CoTTA, ViDA): optimiser step on `loss`, EMA of the student into the teacher with
// momentum `ema`, then stochastic restore of `params` towards `source` with probability `restore_p`.
void teacherStudentUpdate(torch::optim::Optimizer& opt, const at::Tensor& loss, torch::nn::Module& teacher,
                          torch::nn::Module& student, double ema,
                          const std::vector<std::pair<std::string, at::Tensor>>& params,
                          const std::map<std::string, at::Tensor>& source, double restore_p);
// Parameter snapshot (clones) by name.
std::map<std::string, at::Tensor> snapshot(const std::vector<std::pair<std::string, at::Tensor>>& params);
// Deep copy or abort-free error.
Result<std::shared_ptr<Classifier>> cloneModel(const Classifier& c);

}  // namespace atelier::ctta::mu

namespace atelier::ctta {

// Mean-teacher base of CoTTA and ViDA: a student (every weight/bias trained), its EMA teacher (which predicts) and
// a source copy for reset() and stochastic restore. Derived constructors end with `opt_ = makeOptimizer();`.
class TeacherStudentMethod : public CttaMethod {
 public:
  // Seeds torch's RNG, puts `student` on BN batch statistics and copies it into source and teacher.
  TeacherStudentMethod(std::shared_ptr<Classifier> student, ParamSet p, const MethodContext& c);
  Result<at::Tensor> predict(const at::Tensor& x) override;   // x: [B,3,H,W] -> teacher logits, no update
  Status reset() override;                                     // student, teacher = source; fresh optimiser
  const Classifier* model() const override { return student_.get(); }

 protected:
  virtual std::unique_ptr<torch::optim::Optimizer> makeOptimizer() = 0;   // over params_
  // Optimiser step on `loss`, EMA into the teacher (param "ema", 0.999), restore (param "restore_p").
  void update(const at::Tensor& loss, double default_restore_p);
  std::shared_ptr<Classifier> student_, source_, teacher_;
  ParamSet p_;
  TtaAugment aug_;
  std::vector<std::pair<std::string, at::Tensor>> params_;   // the student's weights and biases
  std::map<std::string, at::Tensor> source_state_;
  std::unique_ptr<torch::optim::Optimizer> opt_;
};

}  // namespace atelier::ctta
