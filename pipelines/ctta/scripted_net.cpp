// TorchScript classifiers: a ClassifierNet wrapping a torch::jit::Module. The jit module's parameters and buffers
// are registered (same tensors, same dotted names) in a tree of nn::Module mirrors, so the methods' generic code
// (named_parameters, train/eval, BatchNorm lookup, copies, EMA) works unchanged; train(on) on a mirror sets the
// `training` attribute of its own jit submodule. BatchNorm submodules get a BatchNormLike mirror.
#include <torch/script.h>

#include <cmath>

#include "ctta/classifier.h"

namespace atelier::ctta {
namespace {

std::string errorText(const std::exception& e) {
  const auto* ce = dynamic_cast<const c10::Error*>(&e);
  std::string m = ce ? ce->what_without_backtrace() : e.what();
  if (auto nl = m.find('\n'); nl != std::string::npos) m = m.substr(0, nl);
  return m.size() > 300 ? m.substr(0, 300) + "…" : m;
}

// BatchNorm{1,2,3}d / SyncBatchNorm (scripted or traced keep the Python class name, maybe mangled).
bool isJitBatchNorm(const torch::jit::Module& m) {
  const auto& n = m.type()->name();
  if (!n) return false;
  const std::string leaf = n->name();
  return (leaf.rfind("BatchNorm", 0) == 0 || leaf == "SyncBatchNorm") && m.hasattr("running_mean");
}

void setOwnTraining(torch::jit::Module& m, bool on) {
  if (m.hasattr("training")) m.setattr("training", on);
}

void populate(torch::nn::Module& self, const torch::jit::Module& jit);

class ScriptedMirror : public torch::nn::Module {   // one jit submodule
 public:
  explicit ScriptedMirror(torch::jit::Module m) : jit_(std::move(m)) { populate(*this, jit_); }
  void train(bool on) override {
    torch::nn::Module::train(on);   // recurses into child mirrors
    setOwnTraining(jit_, on);
  }

 private:
  torch::jit::Module jit_;
};

class ScriptedBatchNorm : public ScriptedMirror, public BatchNormLike {
 public:
  using ScriptedMirror::ScriptedMirror;
};

void populate(torch::nn::Module& self, const torch::jit::Module& jit) {
  for (const auto& p : jit.named_parameters(false)) self.register_parameter(p.name, p.value, true);
  for (const auto& b : jit.named_buffers(false)) self.register_buffer(b.name, b.value);
  for (const auto& c : jit.named_children()) {
    std::shared_ptr<torch::nn::Module> mirror;
    if (isJitBatchNorm(c.value)) mirror = std::make_shared<ScriptedBatchNorm>(c.value);
    else mirror = std::make_shared<ScriptedMirror>(c.value);
    self.register_module(c.name, mirror);
  }
}

class ScriptedNet : public ClassifierNet {
 public:
  ScriptedNet(torch::jit::Module m, Status adaptable) : jit_(std::move(m)), adaptable_(std::move(adaptable)) {
    populate(*this, jit_);
    train(false);
  }
  at::Tensor forward(const at::Tensor& x) override {
    // x: [B,3,H,W] normalised -> [B,num_classes] logits (whatever the module's forward returns)
    return jit_.forward({x}).toTensor();
  }
  void train(bool on) override {
    torch::nn::Module::train(on);
    setOwnTraining(jit_, on);
  }
  Status addAdapters(int64_t, int64_t) override {
    return Status::Unsupported("TorchScript modules have no ViDA adapter hooks (adapters are placed in the native "
                               "WideResNet's convs); use source, bn, tent, eata, cotta or vdp");
  }
  std::shared_ptr<ClassifierNet> sameArchitecture() const override {
    torch::NoGradGuard ng;   // deep copy of the tensors as leaves; the graph code is shared
    return std::make_shared<ScriptedNet>(jit_.deepcopy(), adaptable_);
  }
  Status checkAdaptable() const override { return adaptable_; }
  int64_t batchNormCount() {
    int64_t n = 0;
    for (auto& m : modules(false)) n += dynamic_cast<BatchNormLike*>(m.get()) != nullptr;
    return n;
  }
  void setBatchNormTraining(bool on) {
    for (auto& m : modules(false))
      if (dynamic_cast<BatchNormLike*>(m.get())) m->train(on);
  }

 private:
  torch::jit::Module jit_;
  Status adaptable_;
};

// Forward of a fixed [4,3,S,S] batch with BatchNorm in eval and in train mode (buffers restored afterwards).
// Shape errors are returned; identical outputs mean the BN branch is frozen (a trace) -> adaptable = error.
Status probe(ScriptedNet& net, const ModelSpec& spec, const std::string& path, Status* adaptable) {
  torch::NoGradGuard ng;
  const int64_t s = spec.input_size;
  at::Tensor x = torch::sin(torch::arange(4 * 3 * s * s, torch::kFloat) * 0.731).mul(1.5).view({4, 3, s, s});
  x = x + torch::arange(4, torch::kFloat).view({4, 1, 1, 1}) * 0.25;   // samples with different statistics
  std::vector<at::Tensor> saved;
  for (auto& b : net.buffers(true)) saved.push_back(b.clone());
  at::Tensor y_eval, y_train;
  try {
    net.train(false);
    y_eval = net.forward(x);
    net.setBatchNormTraining(true);
    y_train = net.forward(x);
  } catch (const std::exception& e) {
    net.train(false);
    return Status::InvalidArgument(path + ": forward on a [4,3," + std::to_string(s) + "," + std::to_string(s) +
                                   "] test batch failed (check input_size in the model JSON): " + errorText(e));
  }
  net.train(false);
  size_t i = 0;
  for (auto& b : net.buffers(true)) b.copy_(saved[i++]);
  if (y_eval.dim() != 2 || y_eval.size(0) != 4 || y_eval.size(1) != spec.num_classes)
    return Status::InvalidArgument(path + ": forward returned " + c10::str(y_eval.sizes()) + ", expected [4," +
                                   std::to_string(spec.num_classes) + "] logits (num_classes in the model JSON)");
  const int64_t n_bn = net.batchNormCount();
  const double scale = std::max(1.0, y_eval.abs().max().item<double>());
  const double diff = (y_train - y_eval).abs().max().item<double>();
  if (n_bn == 0)
    *adaptable = Status::Unsupported(path + ": the TorchScript module has no BatchNorm submodules; the CTTA methods "
                                     "adapt through BatchNorm, so only 'source' can run on it");
  else if (!(diff > 1e-6 * scale))
    *adaptable = Status::Unsupported(
        path + ": switching its " + std::to_string(n_bn) + " BatchNorm layers between eval and train mode does not "
        "change the outputs, so this looks like a traced module (torch.jit.trace freezes BatchNorm's branch) and "
        "adaptation would silently do nothing. Export it with torch.jit.script(model) instead; 'source' still runs");
  return Status::Ok();
}
}  // namespace

Result<std::shared_ptr<Classifier>> loadScriptedClassifier(const std::string& path, ModelSpec spec) {
  torch::jit::Module m;
  try {
    m = torch::jit::load(path, c10::Device(c10::kCPU));
  } catch (const std::exception& e) {
    return Status::Corruption(path + ": not a loadable TorchScript module (torch::jit::load: " + errorText(e) + ")");
  }
  spec.arch = "torchscript";
  auto net = std::make_shared<ScriptedNet>(m, Status::Ok());
  Status adaptable;
  ATELIER_RETURN_IF_ERROR(probe(*net, spec, path, &adaptable));
  if (!adaptable.ok()) net = std::make_shared<ScriptedNet>(m, adaptable);
  net->eval();
  return std::make_shared<Classifier>(spec, net);
}

}  // namespace atelier::ctta
