// Model definitions: key layouts (RobustBench WRN, torchvision ResNet-50), JSON spec, clones, adapters.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ctta/classifier.h"

using namespace atelier::ctta;

TEST(CttaModels, WideResNetKeyLayout) {
  ModelSpec s;
  auto net = makeNet(s);
  ASSERT_TRUE(net.ok());
  int64_t n = 0, params = 0;
  for (auto& p : (*net)->named_parameters(true)) { ++n; params += p.value().numel(); }
  for (auto& b : (*net)->named_buffers(true)) { (void)b; ++n; }
  EXPECT_EQ(n, 83);                 // tensors in the RobustBench checkpoint
  EXPECT_EQ(params, 2748890);
  auto named = (*net)->named_parameters(true);
  EXPECT_TRUE(named.contains("block1.layer.0.convShortcut.weight"));
  EXPECT_TRUE(named.contains("block3.layer.1.bn2.bias"));
  EXPECT_FALSE(named.contains("block1.layer.1.convShortcut.weight"));
  torch::NoGradGuard ng;
  (*net)->eval();
  EXPECT_EQ((*net)->forward(torch::rand({2, 3, 32, 32})).sizes(), (std::vector<int64_t>{2, 10}));
}

TEST(CttaModels, ResNet50TorchvisionLayout) {
  ModelSpec s;
  s.arch = "resnet50";
  s.num_classes = 1000;
  s.input_size = 224;
  auto net = makeNet(s);
  ASSERT_TRUE(net.ok());
  int64_t params = 0;
  auto named = (*net)->named_parameters(true);
  for (auto& p : named) params += p.value().numel();
  EXPECT_EQ(params, 25557032);      // torchvision resnet50
  EXPECT_EQ(named.size(), 161u);
  EXPECT_TRUE(named.contains("layer1.0.downsample.0.weight"));
  EXPECT_TRUE(named.contains("layer4.2.bn3.weight"));
  EXPECT_TRUE((*net)->named_buffers(true).contains("layer2.0.downsample.1.running_var"));
  torch::NoGradGuard ng;
  (*net)->eval();
  EXPECT_EQ((*net)->forward(torch::rand({1, 3, 64, 64})).sizes(), (std::vector<int64_t>{1, 1000}));
}

TEST(CttaModels, SpecParsingAndErrors) {
  auto s = parseModelSpec(R"({"arch":"wideresnet","depth":10,"widen_factor":1,"num_classes":3,
                              "classes":["a","b","c"],"mean":[0.5,0.5,0.5],"std":[0.25,0.25,0.25],"input_size":32})", "m.json");
  ASSERT_TRUE(s.ok()) << s.status().toString();
  EXPECT_EQ(s->depth, 10);
  EXPECT_EQ(s->classes[2], "c");
  EXPECT_FALSE(parseModelSpec("{\"depth\": 15}", "m.json").ok());
  EXPECT_FALSE(parseModelSpec("{\"num_classes\": 2, \"classes\": [\"x\"]}", "m.json").ok());
  EXPECT_FALSE(parseModelSpec("not json", "m.json").ok());
  EXPECT_EQ(modelSpecPathFor("/a/b.c/model.safetensors"), "/a/b.c/model.json");
  // normalisation is applied by Classifier::logits
  auto net = makeNet(*s);
  Classifier c(*s, *net);
  c.net().eval();
  torch::NoGradGuard ng;
  at::Tensor x = torch::rand({2, 3, 32, 32});
  EXPECT_TRUE(c.logits(x).allclose(c.net().forward((x - 0.5) / 0.25)));
}

TEST(CttaModels, CloneIsDeepAndAdaptersStartAtZero) {
  ModelSpec s;
  s.depth = 10;
  s.widen_factor = 1;
  auto net = makeNet(s);
  ASSERT_TRUE(net.ok());
  Classifier c(s, *net);
  c.net().eval();
  torch::NoGradGuard ng;
  at::Tensor x = torch::rand({4, 3, 32, 32});
  at::Tensor y0 = c.logits(x);
  ASSERT_TRUE(c.net().addAdapters(1, 8).ok());
  EXPECT_TRUE(c.logits(x).allclose(y0, 1e-6, 1e-6));   // zero up-projections: same function
  EXPECT_EQ(c.net().adapters().size(), 6u);   // depth 10: one block per group, two convs each
  auto d = c.clone();
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE((*d)->logits(x).allclose(y0, 1e-6, 1e-6));
  for (auto& p : (*d)->net().parameters()) p.add_(1.0);
  EXPECT_TRUE(c.logits(x).allclose(y0, 1e-6, 1e-6));   // the original is untouched
}
