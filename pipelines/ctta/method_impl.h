// Internal factories of the CTTA methods (method_registry.cpp wires them to names and ParamSpecs).
#pragma once

#include <torch/optim/optimizer.h>

#include <memory>

#include "ctta/method.h"

namespace atelier::ctta {

std::unique_ptr<CttaMethod> makeSource(std::shared_ptr<Classifier> m);
std::unique_ptr<CttaMethod> makeBn(std::shared_ptr<Classifier> m);
std::unique_ptr<CttaMethod> makeTent(std::shared_ptr<Classifier> m, const ParamSet& p);
std::unique_ptr<CttaMethod> makeEata(std::shared_ptr<Classifier> m, const ParamSet& p, const MethodContext& c);
Result<std::unique_ptr<CttaMethod>> makeCotta(std::shared_ptr<Classifier> m, const ParamSet& p, const MethodContext& c);
Result<std::unique_ptr<CttaMethod>> makeVida(std::shared_ptr<Classifier> m, const ParamSet& p, const MethodContext& c);
Result<std::unique_ptr<CttaMethod>> makeVdp(std::shared_ptr<Classifier> m, const ParamSet& p, const MethodContext& c);
// Adam (lr, beta1) or SGD (lr, momentum, nesterov) from the params "optimizer", "lr", ….
std::unique_ptr<torch::optim::Optimizer> makeMethodOptimizer(const std::vector<at::Tensor>& params, const ParamSet& p);

}  // namespace atelier::ctta
