// Classifier: network + preprocessing, loading from safetensors + JSON, deep copies.
#include "ctta/classifier.h"

#include <torch/torch.h>

#include "atelier/module_io.h"
#include "atelier/safetensors.h"
#include "ctta/nets.h"

namespace atelier::ctta {

Classifier::Classifier(ModelSpec spec, std::shared_ptr<ClassifierNet> net)
    : spec_(std::move(spec)), net_(std::move(net)) {
  mean_ = torch::tensor(std::vector<float>(spec_.mean.begin(), spec_.mean.end())).view({1, 3, 1, 1});
  std_ = torch::tensor(std::vector<float>(spec_.std.begin(), spec_.std.end())).view({1, 3, 1, 1});
}

at::Tensor Classifier::logits(const at::Tensor& x01) {
  // x01: [B,3,H,W] in [0,1] -> [B,C]
  const bool identity = spec_.mean == std::vector<double>{0, 0, 0} && spec_.std == std::vector<double>{1, 1, 1};
  return net_->forward(identity ? x01 : (x01 - mean_) / std_);
}

void Classifier::to(const c10::Device& d) {
  net_->to(d);
  mean_ = mean_.to(d);
  std_ = std_.to(d);
}

c10::Device Classifier::device() const {
  auto p = net_->parameters();
  return p.empty() ? c10::Device(c10::kCPU) : p.front().device();
}

void Classifier::copyFrom(const Classifier& other) {
  torch::NoGradGuard ng;
  auto src_p = other.net_->named_parameters(true);
  for (auto& p : net_->named_parameters(true)) p.value().copy_(src_p[p.key()]);
  auto src_b = other.net_->named_buffers(true);
  for (auto& b : net_->named_buffers(true)) b.value().copy_(src_b[b.key()]);
}

Result<std::shared_ptr<Classifier>> Classifier::clone() const {
  std::shared_ptr<ClassifierNet> net = net_->sameArchitecture();
  if (!net) {
    ATELIER_ASSIGN_OR_RETURN(net, makeNet(spec_));
    if (net_->adapter_rank_low > 0)
      ATELIER_RETURN_IF_ERROR(net->addAdapters(net_->adapter_rank_low, net_->adapter_rank_high));
  }
  auto c = std::make_shared<Classifier>(spec_, net);
  c->to(device());
  c->copyFrom(*this);
  c->net_->train(net_->is_training());
  // BN modes of submodules (mixed train/eval) are copied one by one.
  auto mine = net_->modules(false);
  auto theirs = c->net_->modules(false);
  for (size_t i = 0; i < mine.size() && i < theirs.size(); ++i) theirs[i]->train(mine[i]->is_training());
  return c;
}

bool isTorchScriptPath(const std::string& path) {
  for (const char* ext : {".pt", ".ts", ".torchscript"}) {
    const std::string e(ext);
    if (path.size() > e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0) return true;
  }
  return false;
}

Result<std::shared_ptr<ClassifierNet>> makeNet(const ModelSpec& spec) {
  if (spec.arch == "wideresnet") return makeWideResNet(spec.depth, spec.widen_factor, spec.num_classes);
  if (spec.arch == "resnet50") return makeResNet50(spec.num_classes);
  return Status::Unsupported("makeNet: arch '" + spec.arch +
                             "' has no native network (TorchScript modules load with loadClassifier(file.pt))");
}

Result<std::shared_ptr<Classifier>> loadClassifier(const std::string& weights_path, const std::string& spec_path) {
  const std::string sp = spec_path.empty() ? modelSpecPathFor(weights_path) : spec_path;
  ATELIER_ASSIGN_OR_RETURN(ModelSpec spec, loadModelSpec(sp));
  if (spec.arch == "torchscript" || isTorchScriptPath(weights_path)) return loadScriptedClassifier(weights_path, spec);
  ATELIER_ASSIGN_OR_RETURN(TensorMap weights, loadSafetensors(weights_path));
  ATELIER_ASSIGN_OR_RETURN(auto net, makeNet(spec));
  LoadWeightsOptions opt;
  opt.source_label = weights_path;
  ATELIER_RETURN_IF_ERROR(loadModuleWeights(*net, weights, opt));
  net->eval();
  return std::make_shared<Classifier>(spec, net);
}

}  // namespace atelier::ctta
