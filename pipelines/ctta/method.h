// CTTA methods: Source, BN-adapt, Tent, EATA, CoTTA, ViDA (Atelier CNN variant), VDP (Atelier "VDP-like").
// Online protocol: forwardAndAdapt returns the prediction computed BEFORE the update on that batch.
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "atelier/param.h"
#include "atelier/status.h"
#include "ctta/classifier.h"

namespace atelier::ctta {

struct MethodContext {
  at::Tensor source_images;   // float [N,3,H,W] in [0,1] source-domain (training) images for EATA's Fisher; undefined:
                              // no EWC term (never pass test images here)
  uint64_t seed = 1;          // augmentation / restore randomness
};

class CttaMethod {
 public:
  virtual ~CttaMethod() = default;
  // x: [B,3,H,W] in [0,1] on the model's device -> [B,C] logits scored for this batch (pre-update).
  virtual Result<at::Tensor> forwardAndAdapt(const at::Tensor& x) = 0;
  // Prediction without any update (sliding-window frames between updates); x as above.
  virtual Result<at::Tensor> predict(const at::Tensor& x) = 0;
  virtual Status reset() = 0;                                  // back to the source state
  virtual std::string name() const = 0;                        // CLI token: "tent"
  // Caveat to show next to the name ("" when none), e.g. EATA without its Fisher term.
  virtual std::string note() const { return ""; }
  virtual std::map<std::string, double> stats() const { return {}; }   // last-batch diagnostics
  // The classifier being adapted (the student for teacher-student methods), for inspection; nullptr if none.
  virtual const Classifier* model() const { return nullptr; }
};

// CLI tokens in display order: source, bn, tent, eata, cotta, vida, vdp.
const std::vector<std::string>& methodNames();
// Parameters of a method with the official defaults (CIFAR-10 benchmark values).
std::vector<ParamSpec> methodParams(const std::string& name);
// Builds a method on a deep copy of `source` (the source model is never modified). Unknown params fail; every
// method but "source" fails when source.net().checkAdaptable() does (e.g. a traced TorchScript module).
Result<std::unique_ptr<CttaMethod>> makeMethod(const std::string& name, const Classifier& source,
                                               const ParamSet& params, const MethodContext& ctx = {});

}  // namespace atelier::ctta
