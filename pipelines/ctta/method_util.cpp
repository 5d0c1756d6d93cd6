// Shared method helpers: losses, BN modes, EMA, stochastic restore; the CoTTA/ViDA mean-teacher base.
#include "ctta/method_util.h"

#include "atelier/param.h"

namespace atelier::ctta::mu {

at::Tensor entropy(const at::Tensor& logits) {
  return -(logits.softmax(1) * logits.log_softmax(1)).sum(1);
}

at::Tensor softCE(const at::Tensor& student, const at::Tensor& teacher) {
  return -(teacher.softmax(1) * student.log_softmax(1)).sum(1);
}

bool isBatchNorm(const torch::nn::Module& m) {
  return dynamic_cast<const torch::nn::BatchNorm2dImpl*>(&m) || dynamic_cast<const BatchNormLike*>(&m);
}

void setBatchStatsMode(ClassifierNet& net) {
  net.eval();
  for (auto& p : net.parameters()) p.requires_grad_(false);
  for (auto& m : net.modules(false))
    if (isBatchNorm(*m)) m->train(true);
}

std::vector<at::Tensor> bnAffine(ClassifierNet& net) {
  std::vector<at::Tensor> out;
  for (auto& m : net.modules(false)) {
    if (!isBatchNorm(*m)) continue;
    auto own = m->named_parameters(false);   // affine=False BatchNorm has neither
    for (const char* k : {"weight", "bias"})
      if (auto* t = own.find(k); t && t->defined()) out.push_back(*t);
  }
  return out;
}

std::vector<std::pair<std::string, at::Tensor>> weightsAndBiases(torch::nn::Module& m) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (auto& p : m.named_parameters(true)) {
    const auto& k = p.key();
    auto dot = k.find_last_of('.');
    const std::string leaf = dot == std::string::npos ? k : k.substr(dot + 1);
    if (leaf == "weight" || leaf == "bias") out.emplace_back(k, p.value());
  }
  return out;
}

void emaUpdate(torch::nn::Module& ema, torch::nn::Module& student, double m) {
  torch::NoGradGuard ng;
  auto sp = student.named_parameters(true);
  for (auto& p : ema.named_parameters(true)) p.value().mul_(m).add_(sp[p.key()], 1.0 - m);
}

void stochasticRestore(const std::vector<std::pair<std::string, at::Tensor>>& params,
                       const std::map<std::string, at::Tensor>& source, double p) {
  if (p <= 0) return;
  torch::NoGradGuard ng;
  for (auto& [name, t] : params) {
    auto it = source.find(name);
    if (it == source.end()) continue;
    at::Tensor mask = torch::rand(t.sizes(), t.options()).lt(p);
    t.copy_(torch::where(mask, it->second, t));
  }
}

std::map<std::string, at::Tensor> snapshot(const std::vector<std::pair<std::string, at::Tensor>>& params) {
  std::map<std::string, at::Tensor> out;
  for (auto& [n, t] : params) out[n] = t.detach().clone();
  return out;
}

Result<std::shared_ptr<Classifier>> cloneModel(const Classifier& c) { return c.clone(); }

void teacherStudentUpdate(torch::optim::Optimizer& opt, const at::Tensor& loss, torch::nn::Module& teacher,
                          torch::nn::Module& student, double ema,
                          const std::vector<std::pair<std::string, at::Tensor>>& params,
                          const std::map<std::string, at::Tensor>& source, double restore_p) {
  opt.zero_grad();
  loss.backward();
  opt.step();
  emaUpdate(teacher, student, ema);
  stochasticRestore(params, source, restore_p);
}

}  // namespace atelier::ctta::mu

namespace atelier::ctta {

TeacherStudentMethod::TeacherStudentMethod(std::shared_ptr<Classifier> student, ParamSet p, const MethodContext& c)
    : student_(std::move(student)), p_(std::move(p)), aug_(c.seed) {
  torch::manual_seed(c.seed);
  mu::setBatchStatsMode(student_->net());   // teacher (and CoTTA's anchor) are copies of the configured model
  source_ = student_->clone().value();
  teacher_ = student_->clone().value();
  params_ = mu::weightsAndBiases(student_->net());
  for (auto& [n, t] : params_) t.requires_grad_(true);
  source_state_ = mu::snapshot(params_);
}

Result<at::Tensor> TeacherStudentMethod::predict(const at::Tensor& x) {
  torch::NoGradGuard ng;
  return teacher_->logits(x);
}

Status TeacherStudentMethod::reset() {
  student_->copyFrom(*source_);
  teacher_->copyFrom(*source_);
  opt_ = makeOptimizer();
  return Status::Ok();
}

void TeacherStudentMethod::update(const at::Tensor& loss, double default_restore_p) {
  mu::teacherStudentUpdate(*opt_, loss, teacher_->net(), student_->net(), getFloat(p_, "ema", 0.999), params_,
                           source_state_, getFloat(p_, "restore_p", default_restore_p));
}

}  // namespace atelier::ctta
