// Method names, ParamSpecs with official defaults (CIFAR-10 benchmark values), and the factory.
#include <cmath>

#include "ctta/method_impl.h"

namespace atelier::ctta {

const std::vector<std::string>& methodNames() {
  static const std::vector<std::string> n = {"source", "bn", "tent", "eata", "cotta", "vida", "vdp"};
  return n;
}

namespace {
std::vector<ParamSpec> optimizerSpecs(double lr, const std::string& opt) {
  return {ParamSpec::Choice("optimizer", "Optimizer", opt, {"adam", "sgd"}, "Adam (β 0.9, 0.999) or SGD"),
          ParamSpec::Float("lr", "Learning rate", lr, 0, 1, "step size"),
          ParamSpec::Float("beta1", "Adam β1", 0.9, 0, 0.9999, ""),
          ParamSpec::Float("momentum", "SGD momentum", 0.9, 0, 0.9999, ""),
          ParamSpec::Bool("nesterov", "SGD Nesterov", false, "")};
}
}  // namespace

std::vector<ParamSpec> methodParams(const std::string& name) {
  std::vector<ParamSpec> s;
  auto add = [&](std::vector<ParamSpec> v) { s.insert(s.end(), v.begin(), v.end()); };
  if (name == "tent") {
    add(optimizerSpecs(1e-3, "adam"));   // DequanWang/tent cfgs/tent.yaml (CIFAR)
    s.push_back(ParamSpec::Int("steps", "Steps per batch", 1, 1, 10, "updates per batch"));
  } else if (name == "eata") {
    add(optimizerSpecs(1e-3, "adam"));   // bench CIFAR-10 values
    s.push_back(ParamSpec::Float("e_margin_factor", "Entropy margin × ln C", 0.4, 0, 1, "E0 = f·ln C"));
    s.push_back(ParamSpec::Float("d_margin", "Redundancy margin", 0.4, 0, 1, "|cos(p, p̄)| threshold"));
    s.push_back(ParamSpec::Float("fisher_alpha", "Fisher α", 1.0, 0, 1e5, "EWC weight (0: off)"));
    s.push_back(ParamSpec::Int("fisher_size", "Fisher samples", 2000, 0, 100000, "source images for the Fisher"));
    s.push_back(ParamSpec::Int("fisher_batch", "Fisher batch", 200, 1, 4096, ""));
  } else if (name == "cotta") {
    add(optimizerSpecs(1e-3, "adam"));   // qinenergy/cotta cifar10/cotta.yaml
    s.push_back(ParamSpec::Float("ema", "Teacher EMA", 0.999, 0, 1, ""));
    s.push_back(ParamSpec::Float("restore_p", "Restore probability", 0.01, 0, 1, ""));
    s.push_back(ParamSpec::Float("ap", "Anchor threshold", 0.92, 0, 1, "augment when anchor confidence < ap"));
    s.push_back(ParamSpec::Int("n_augment", "Augmentations", 32, 0, 256, ""));
    s.push_back(ParamSpec::Bool("always_augment", "Always augment", false,
                                "official CIFAR code computes the 32 views every batch"));
    s.push_back(ParamSpec::Bool("symmetric_ce", "Symmetric CE", false, "ImageNet loss"));
  } else if (name == "vida") {
    s.push_back(ParamSpec::Float("lr", "Backbone lr", 1e-4, 0, 1, "ViDA cifar10 OPTIM.LR"));
    s.push_back(ParamSpec::Float("adapter_lr", "Adapter lr", 1e-5, 0, 1, "ViDALR"));
    s.push_back(ParamSpec::Int("rank_low", "Low rank", 1, 1, 1024, ""));
    s.push_back(ParamSpec::Int("rank_high", "High rank", 128, 1, 4096, ""));
    s.push_back(ParamSpec::Float("ema", "Teacher EMA", 0.999, 0, 1, ""));
    s.push_back(ParamSpec::Float("restore_p", "Restore probability", 0.1, 0, 1, ""));
    s.push_back(ParamSpec::Float("unc_thr", "Uncertainty threshold", 0.05, 0, 10, ""));
    s.push_back(ParamSpec::Int("n_augment", "Augmentations", 10, 2, 64, ""));
    s.push_back(ParamSpec::Bool("update_high_scale", "Scale high-rank too", false, "paper; the code never does"));
  } else if (name == "vdp") {
    s.push_back(ParamSpec::Float("dap_lr", "DAP lr", 1e-4, 0, 1, "domain-agnostic prompt (Atelier choice)"));
    s.push_back(ParamSpec::Float("dsp_lr", "DSP lr", 1e-3, 0, 1, "domain-specific prompt (Atelier choice)"));
    s.push_back(ParamSpec::Float("ema", "Prompt EMA", 0.999, 0, 1, ""));
    s.push_back(ParamSpec::Float("homeostasis", "Homeostasis λ", 1.0, 0, 1e6, ""));
    s.push_back(ParamSpec::Float("shift_threshold", "Domain-change threshold", 0.1, 0, 1, "confidence jump"));
  }
  return s;
}

Result<std::unique_ptr<CttaMethod>> makeMethod(const std::string& name, const Classifier& source,
                                               const ParamSet& params, const MethodContext& ctx) {
  bool known = false;
  for (auto& n : methodNames()) known |= n == name;
  if (!known) return Status::InvalidArgument("unknown CTTA method '" + name + "' (source, bn, tent, eata, cotta, vida, vdp)");
  ATELIER_ASSIGN_OR_RETURN(ParamSet p, resolveParams(methodParams(name), params));
  if (name != "source") ATELIER_RETURN_IF_ERROR(source.netPtr()->checkAdaptable().withContext(name));
  ATELIER_ASSIGN_OR_RETURN(auto model, source.clone());
  if (name == "source") return makeSource(model);
  if (name == "bn") return makeBn(model);
  if (name == "tent") return makeTent(model, p);
  if (name == "eata") return makeEata(model, p, ctx);
  if (name == "cotta") return makeCotta(model, p, ctx);
  if (name == "vida") return makeVida(model, p, ctx);
  return makeVdp(model, p, ctx);
}

}  // namespace atelier::ctta
