// Method sanity on a small random WideResNet: BN-adapt uses batch statistics, Tent lowers entropy,
// predictions are made before the update, every method runs and reports errors for bad input.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ctta/benchmark.h"
#include "ctta/method.h"

using namespace atelier::ctta;

namespace {
std::shared_ptr<Classifier> tinyModel() {
  torch::manual_seed(0);
  ModelSpec s;
  s.depth = 10;
  s.widen_factor = 1;
  auto net = makeNet(s).value();
  // Give BN non-trivial running statistics so batch statistics and source statistics differ.
  {
    torch::NoGradGuard ng;
    net->train();
    for (int i = 0; i < 5; ++i) net->forward(torch::rand({16, 3, 32, 32}));
  }
  net->eval();
  return std::make_shared<Classifier>(s, net);
}
at::Tensor entropy(const at::Tensor& y) { return -(y.softmax(1) * y.log_softmax(1)).sum(1).mean(); }
}  // namespace

TEST(CttaMethods, BnAdaptUsesBatchStatistics) {
  auto model = tinyModel();
  at::Tensor x = torch::rand({16, 3, 32, 32}) * 0.3 + 0.6;   // shifted inputs
  auto bn = makeMethod("bn", *model, {});
  auto src = makeMethod("source", *model, {});
  ASSERT_TRUE(bn.ok() && src.ok());
  at::Tensor yb = (*bn)->forwardAndAdapt(x).value(), ys = (*src)->forwardAndAdapt(x).value();
  EXPECT_FALSE(yb.allclose(ys, 1e-3, 1e-3));
  // Same as a train-mode forward; and a sample's output depends on the rest of the batch.
  auto ref = model->clone().value();
  ref->net().train();
  torch::NoGradGuard ng;
  EXPECT_TRUE(yb.allclose(ref->logits(x), 1e-5, 1e-5));
  at::Tensor y_half = (*bn)->forwardAndAdapt(x.slice(0, 0, 8)).value();
  EXPECT_FALSE(y_half.allclose(yb.slice(0, 0, 8), 1e-4, 1e-4));
  // source model is untouched by making methods
  EXPECT_TRUE((*src)->forwardAndAdapt(x).value().allclose(ys));
}

TEST(CttaMethods, TentPredictsBeforeUpdateAndLowersEntropy) {
  auto model = tinyModel();
  at::Tensor x = torch::rand({32, 3, 32, 32}) * 0.5 + 0.4;
  atelier::ParamSet p;
  p["lr"] = 1e-2;
  auto tent = makeMethod("tent", *model, p);
  auto bn = makeMethod("bn", *model, {});
  ASSERT_TRUE(tent.ok()) << tent.status().toString();
  at::Tensor y_bn = (*bn)->forwardAndAdapt(x).value();
  at::Tensor y1 = (*tent)->forwardAndAdapt(x).value();
  EXPECT_TRUE(y1.allclose(y_bn, 1e-5, 1e-5)) << "first prediction must come from the un-updated model";
  at::Tensor y_after = (*tent)->predict(x).value();
  EXPECT_FALSE(y_after.allclose(y1, 1e-6, 1e-6)) << "the update must change the model";
  for (int i = 0; i < 8; ++i) (void)(*tent)->forwardAndAdapt(x);
  EXPECT_LT(entropy((*tent)->predict(x).value()).item<double>(), entropy(y1).item<double>());
  ASSERT_TRUE((*tent)->reset().ok());
  EXPECT_TRUE((*tent)->predict(x).value().allclose(y_bn, 1e-5, 1e-5));
}

TEST(CttaMethods, EveryMethodRunsOnline) {
  auto model = tinyModel();
  MethodContext ctx;
  ctx.source_images = torch::rand({8, 3, 32, 32});
  for (const auto& name : methodNames()) {
    atelier::ParamSet p;
    if (name == "cotta") { p["n_augment"] = int64_t(2); p["always_augment"] = true; }
    if (name == "vida") { p["n_augment"] = int64_t(2); p["rank_high"] = int64_t(8); }
    if (name == "eata") { p["fisher_batch"] = int64_t(4); p["e_margin_factor"] = 1.0; }
    auto m = makeMethod(name, *model, p, ctx);
    ASSERT_TRUE(m.ok()) << name << ": " << m.status().toString();
    for (int i = 0; i < 2; ++i) {
      auto y = (*m)->forwardAndAdapt(torch::rand({8, 3, 32, 32}));
      ASSERT_TRUE(y.ok()) << name;
      EXPECT_EQ(y->sizes(), (std::vector<int64_t>{8, 10})) << name;
      EXPECT_TRUE(torch::isfinite(*y).all().item<bool>()) << name;
    }
    EXPECT_TRUE((*m)->reset().ok()) << name;
  }
}

TEST(CttaMethods, BadArgumentsAreStatuses) {
  auto model = tinyModel();
  EXPECT_FALSE(makeMethod("sar", *model, {}).ok());
  atelier::ParamSet p;
  p["no_such_param"] = 1.0;
  EXPECT_FALSE(makeMethod("tent", *model, p).ok());
  EXPECT_EQ(methodNames().size(), 7u);
  EXPECT_FALSE(methodParams("cotta").empty());
}

TEST(CttaMethods, EataSaysWhenItRunsWithoutFisher) {
  auto model = tinyModel();
  auto without = makeMethod("eata", *model, {});
  ASSERT_TRUE(without.ok());
  EXPECT_EQ((*without)->note(), "no Fisher: no source training images");
  MethodContext ctx;
  ctx.source_images = torch::rand({8, 3, 32, 32});
  atelier::ParamSet p;
  p["fisher_batch"] = int64_t(4);
  auto with = makeMethod("eata", *model, p, ctx);
  ASSERT_TRUE(with.ok());
  EXPECT_EQ((*with)->note(), "");
  // The benchmark output carries the caveat (JSON key stays the CLI token).
  MethodResult r;
  r.name = "eata";
  r.note = (*without)->note();
  CycleResult c;
  c.errors["fog"] = 0.5;
  c.mean_error = 0.5;
  r.cycles.push_back(c);
  auto j = resultsToJson(BenchConfig{}, {r});
  EXPECT_EQ(j["methods"]["eata"]["label"], "eata (no Fisher: no source training images)");
  EXPECT_EQ(j["methods"]["eata"]["note"], "no Fisher: no source training images");
  EXPECT_NE(resultsToTable({r}).find("| eata (no Fisher: no source training images) |"), std::string::npos);
}
