// Strict by-name weight loading into torch::nn::Module, tensor by tensor (no second full copy).
#include "atelier/module_io.h"

#include <torch/torch.h>

#include <set>

namespace atelier {

namespace {
std::string shapeStr(at::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) { out += (i ? "," : "") + std::to_string(s[i]); }
  return out + "]";
}

bool ignored(const std::string& key, const std::vector<std::string>& prefixes) {
  for (const auto& p : prefixes) { if (key.rfind(p, 0) == 0) return true; }
  return false;
}

std::string listOf(const std::vector<std::string>& v, size_t max_items = 12) {
  std::string out;
  for (size_t i = 0; i < v.size() && i < max_items; ++i) { out += (i ? ", " : "") + v[i]; }
  if (v.size() > max_items) { out += ", … (" + std::to_string(v.size()) + " in all)"; }
  return out;
}
}  // namespace

TensorMap moduleWeights(const torch::nn::Module& module) {
  TensorMap out;
  for (const auto& p : module.named_parameters(true)) { out[p.key()] = p.value().detach(); }
  for (const auto& b : module.named_buffers(true)) { out[b.key()] = b.value().detach(); }
  return out;
}

Status loadModuleWeights(torch::nn::Module& module, const TensorMap& weights, const LoadWeightsOptions& opt) {
  const std::string src = opt.source_label.empty() ? std::string("weights") : opt.source_label;
  TensorMap targets = moduleWeights(module);
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& [name, t] : targets) {
    auto it = weights.find(name);
    if (it == weights.end()) { missing.push_back(name); continue; }
    if (!it->second.sizes().equals(t.sizes())) {
      mismatched.push_back(name + " (file " + shapeStr(it->second.sizes()) + ", model " + shapeStr(t.sizes()) + ")");
    }
  }
  for (const auto& [name, t] : weights) {
    if (!targets.count(name) && !ignored(name, opt.ignore_prefixes)) { unexpected.push_back(name); }
  }
  std::string err;
  if (!mismatched.empty()) { err += "shape mismatch: " + listOf(mismatched) + ". "; }
  if (opt.strict && !missing.empty()) { err += "missing keys: " + listOf(missing) + ". "; }
  if (opt.strict && !unexpected.empty()) { err += "unexpected keys: " + listOf(unexpected) + ". "; }
  if (!err.empty()) { return Status::InvalidArgument(src + ": " + err); }
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : targets) {
    auto it = weights.find(name);
    if (it == weights.end()) { continue; }
    t.copy_(it->second);   // converts dtype/device per tensor
  }
  return Status::Ok();
}

}  // namespace atelier
