// loadModuleWeights: strict by-name loading with clear messages; dtype conversion.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "atelier/module_io.h"

namespace atelier {
namespace {

struct Net : torch::nn::Module {
  Net() {
    fc = register_module("fc", torch::nn::Linear(3, 2));
    bn = register_module("bn", torch::nn::BatchNorm1d(2));
  }
  torch::nn::Linear fc{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
};

TEST(ModuleIo, LoadsByNameAndConverts) {
  Net a, b;
  TensorMap w = moduleWeights(a);
  for (auto& [k, v] : w) { v = v.to(torch::kDouble) + 1; }   // different dtype, different values
  ASSERT_TRUE(loadModuleWeights(b, w).ok());
  EXPECT_TRUE(torch::allclose(b.fc->weight, a.fc->weight + 1));
  EXPECT_EQ(b.fc->weight.scalar_type(), torch::kFloat);
  EXPECT_TRUE(torch::equal(b.bn->running_var, a.bn->running_var + 1));
}

TEST(ModuleIo, StrictErrorsNameEveryProblem) {
  Net n;
  TensorMap w = moduleWeights(n);
  w.erase("fc.bias");
  w["fc.extra"] = torch::zeros({1});
  w["bn.weight"] = torch::zeros({5});
  LoadWeightsOptions opt;
  opt.source_label = "model.safetensors";
  Status s = loadModuleWeights(n, w, opt);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("model.safetensors"), std::string::npos);
  EXPECT_NE(s.message().find("missing keys: fc.bias"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("unexpected keys: fc.extra"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("bn.weight (file [5], model [2])"), std::string::npos) << s.message();
  opt.ignore_prefixes = {"fc.extra"};
  opt.strict = false;
  w["bn.weight"] = torch::ones({2});
  EXPECT_TRUE(loadModuleWeights(n, w, opt).ok());
}

}  // namespace
}  // namespace atelier
