// TorchScript classifiers (fixtures from scripts/make_torchscript_fixtures.py, a tiny conv-BN CNN): a scripted
// module loads, matches PyTorch in eval and batch-statistics mode, adapts with Tent exactly like PyTorch and like the
// same network written natively; a traced module is refused for adaptation but runs as source; broken files fail;
// the CTTA stage (ctta-live, GUI) takes a .pt model.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "atelier/safetensors.h"
#include "ctta/method.h"
#include "ctta/method_util.h"
#include "ctta/stage.h"

using namespace atelier::ctta;

namespace {
const std::string kDir = std::string(ATELIER_SOURCE_DIR) + "/tests/pipelines/ctta/fixtures/";

atelier::TensorMap expected() {
  auto t = atelier::loadSafetensors(kDir + "tiny_expected.safetensors");
  EXPECT_TRUE(t.ok()) << t.status().toString();
  return t.ok() ? *t : atelier::TensorMap{};
}

std::shared_ptr<Classifier> load(const std::string& name) {
  auto c = loadClassifier(kDir + name);
  EXPECT_TRUE(c.ok()) << c.status().toString();
  return c.ok() ? *c : nullptr;
}

void expectClose(const at::Tensor& a, const at::Tensor& b, double tol, const std::string& what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  EXPECT_LE((a - b).abs().max().item<double>(), tol) << what;
}

// The fixture network written natively (same parameter names as the Python module).
struct TinyNative : ClassifierNet {
  TinyNative() {
    namespace nn = torch::nn;
    conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(3, 4, 3).padding(1).bias(false)));
    bn1 = register_module("bn1", nn::BatchNorm2d(4));
    conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(4, 8, 3).stride(2).padding(1).bias(false)));
    bn2 = register_module("bn2", nn::BatchNorm2d(8));
    fc = register_module("fc", nn::Linear(8, 3));
  }
  at::Tensor forward(const at::Tensor& x) override {
    // x: [B,3,8,8] normalised -> [B,3]
    at::Tensor h = torch::relu(bn1(conv1(x)));
    h = torch::relu(bn2(conv2(h)));
    return fc(h.mean({2, 3}));
  }
  std::shared_ptr<ClassifierNet> sameArchitecture() const override { return std::make_shared<TinyNative>(); }
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Linear fc{nullptr};
};

std::string writeFile(const std::string& name, const std::string& bytes) {
  const std::string dir = std::string(ATELIER_TEST_ARTIFACTS) + "/ctta_scripted";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
  return dir + "/" + name;
}
}  // namespace

TEST(CttaScripted, ScriptedLoadsAndMatchesPython) {
  auto ex = expected();
  auto model = load("tiny_scripted.pt");
  ASSERT_TRUE(model);
  EXPECT_EQ(model->spec().arch, "torchscript");
  EXPECT_EQ(model->spec().classes.at(1), "beta");
  EXPECT_TRUE(model->netPtr()->checkAdaptable().ok());
  auto named = model->net().named_parameters(true);
  for (const char* k : {"conv1.weight", "bn1.weight", "bn2.bias", "fc.bias"}) EXPECT_TRUE(named.contains(k)) << k;
  EXPECT_TRUE(model->net().named_buffers(true).contains("bn2.running_var"));
  EXPECT_EQ(mu::bnAffine(model->net()).size(), 4u);
  torch::NoGradGuard ng;
  at::Tensor y_eval = model->logits(ex["input"]);
  expectClose(y_eval, ex["logits_eval"], 1e-5, "eval logits vs PyTorch");
  // BatchNorm switch: batch statistics change the outputs and match PyTorch's train-mode BN.
  mu::setBatchStatsMode(model->net());
  at::Tensor y_train = model->logits(ex["input"]);
  expectClose(y_train, ex["logits_train"], 1e-5, "batch-statistics logits vs PyTorch");
  EXPECT_GT((y_train - y_eval).abs().max().item<double>(), 1e-2);
  model->net().eval();   // running statistics again (moved by one momentum step: not the fixture's any more)
  EXPECT_GT((model->logits(ex["input"]) - y_train).abs().max().item<double>(), 1e-2);
}

TEST(CttaScripted, TentMatchesPythonAndChangesBatchNormAffine) {
  auto ex = expected();
  auto model = load("tiny_scripted.pt");
  ASSERT_TRUE(model);
  auto tent = makeMethod("tent", *model, {});
  ASSERT_TRUE(tent.ok()) << tent.status().toString();
  at::Tensor x = ex["input"];
  expectClose((*tent)->forwardAndAdapt(x).value(), ex["logits_train"], 1e-5, "Tent prediction before the update");
  expectClose((*tent)->forwardAndAdapt(x).value(), ex["tent_logits_1"], 1e-5, "Tent prediction after one step");
  const Classifier* adapted = (*tent)->model();
  ASSERT_NE(adapted, nullptr);
  auto after = adapted->netPtr()->named_parameters(true);
  auto before = model->netPtr()->named_parameters(true);
  for (const char* k : {"bn1.weight", "bn1.bias", "bn2.weight", "bn2.bias"}) {
    expectClose(after[k], ex[std::string("tent2.") + k], 1e-5, std::string("Tent parameter ") + k);
    EXPECT_GT((after[k] - before[k]).abs().max().item<double>(), 1e-4) << k << " must change";
  }
  EXPECT_TRUE(after["conv1.weight"].equal(before["conv1.weight"])) << "only BatchNorm affine parameters adapt";
  EXPECT_TRUE(after["fc.bias"].equal(before["fc.bias"]));
}

TEST(CttaScripted, SameResultsAsTheNativeNetwork) {
  auto scripted = load("tiny_scripted.pt");
  ASSERT_TRUE(scripted);
  Classifier native(scripted->spec(), std::make_shared<TinyNative>());
  native.copyFrom(*scripted);
  native.net().eval();
  torch::manual_seed(3);
  std::vector<at::Tensor> xs;
  for (int i = 0; i < 3; ++i) xs.push_back(torch::rand({6, 3, 8, 8}) * 0.7 + 0.2);
  for (std::string name : {"tent", "eata", "cotta"}) {
    atelier::ParamSet p;
    p["lr"] = 1e-2;
    if (name == "eata") p["e_margin_factor"] = 1.0;
    // CoTTA without augmentation noise and restore: native clones draw initial weights from torch's RNG after the
    // method seeds it, so random streams differ between the two nets (student/teacher/EMA path compared here).
    if (name == "cotta") { p["n_augment"] = int64_t(0); p["restore_p"] = 0.0; }
    auto run = [&](const Classifier& c, std::vector<at::Tensor>* ys) -> std::map<std::string, at::Tensor> {
      MethodContext ctx;
      ctx.seed = 5;
      auto m = makeMethod(name, c, p, ctx);
      EXPECT_TRUE(m.ok()) << name << ": " << m.status().toString();
      if (!m.ok()) return {};
      for (auto& x : xs) ys->push_back((*m)->forwardAndAdapt(x).value());
      std::map<std::string, at::Tensor> out;
      for (auto& q : (*m)->model()->netPtr()->named_parameters(true)) out[q.key()] = q.value().detach().clone();
      return out;
    };
    std::vector<at::Tensor> ys, yn;
    auto ps = run(*scripted, &ys);
    auto pn = run(native, &yn);
    ASSERT_EQ(ys.size(), xs.size());
    ASSERT_EQ(yn.size(), xs.size());
    for (size_t i = 0; i < xs.size(); ++i) expectClose(ys[i], yn[i], 1e-5, name + " batch " + std::to_string(i));
    ASSERT_EQ(ps.size(), pn.size());
    for (auto& [k, v] : pn) expectClose(ps[k], v, 1e-5, name + " " + k);
  }
}

TEST(CttaScripted, CloneIsDeepAndKeepsModes) {
  auto model = load("tiny_scripted.pt");
  ASSERT_TRUE(model);
  at::Tensor x = torch::rand({4, 3, 8, 8});
  mu::setBatchStatsMode(model->net());
  torch::NoGradGuard ng;
  at::Tensor y = model->logits(x);
  auto c = model->clone();
  ASSERT_TRUE(c.ok()) << c.status().toString();
  expectClose((*c)->logits(x), y, 1e-6, "clone in batch-statistics mode");
  for (auto& p : (*c)->net().parameters()) p.add_(0.5);
  expectClose(model->logits(x), y, 1e-6, "original untouched by the clone's update");
  EXPECT_GT(((*c)->logits(x) - y).abs().max().item<double>(), 1e-3);
}

TEST(CttaScripted, EveryBatchNormMethodRunsAndVidaSaysWhy) {
  auto model = load("tiny_scripted.pt");
  ASSERT_TRUE(model);
  MethodContext ctx;
  ctx.source_images = torch::rand({8, 3, 8, 8});
  for (const auto& name : methodNames()) {
    atelier::ParamSet p;
    if (name == "cotta") { p["n_augment"] = int64_t(2); p["always_augment"] = true; }
    if (name == "vida") { p["n_augment"] = int64_t(2); p["rank_high"] = int64_t(8); }
    if (name == "eata") { p["fisher_batch"] = int64_t(4); p["e_margin_factor"] = 1.0; }
    auto m = makeMethod(name, *model, p, ctx);
    if (name == "vida") {
      ASSERT_FALSE(m.ok());
      EXPECT_NE(m.status().message().find("TorchScript"), std::string::npos) << m.status().toString();
      continue;
    }
    ASSERT_TRUE(m.ok()) << name << ": " << m.status().toString();
    for (int i = 0; i < 2; ++i) {
      auto y = (*m)->forwardAndAdapt(torch::rand({8, 3, 8, 8}));
      ASSERT_TRUE(y.ok()) << name;
      EXPECT_EQ(y->sizes(), (std::vector<int64_t>{8, 3})) << name;
      EXPECT_TRUE(torch::isfinite(*y).all().item<bool>()) << name;
    }
    EXPECT_TRUE((*m)->reset().ok()) << name;
  }
}

TEST(CttaScripted, TracedModuleIsRefusedForAdaptationButRunsAsSource) {
  auto ex = expected();
  auto model = load("tiny_traced.pt");
  ASSERT_TRUE(model);
  auto src = makeMethod("source", *model, {});
  ASSERT_TRUE(src.ok()) << src.status().toString();
  expectClose((*src)->forwardAndAdapt(ex["input"]).value(), ex["logits_eval"], 1e-5, "traced source logits");
  for (const char* name : {"tent", "bn", "eata"}) {
    auto m = makeMethod(name, *model, {});
    ASSERT_FALSE(m.ok()) << name;
    const std::string msg = m.status().message();
    EXPECT_NE(msg.find("tiny_traced.pt"), std::string::npos) << msg;
    EXPECT_NE(msg.find("traced"), std::string::npos) << msg;
    EXPECT_NE(msg.find("torch.jit.script"), std::string::npos) << msg;
  }
}

TEST(CttaScripted, BrokenFilesAreStatuses) {
  const std::string json = "{\"arch\":\"torchscript\",\"num_classes\":3,\"input_size\":8}";
  std::ifstream in(kDir + "tiny_scripted.pt", std::ios::binary);
  std::string good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(good.size(), 1000u);
  std::string random(4096, '\0');
  uint32_t s = 12345;
  for (auto& ch : random) { s = s * 1664525u + 1013904223u; ch = char(s >> 24); }
  for (auto [name, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"truncated", good.substr(0, good.size() / 2)}, {"random", random}, {"empty", ""}}) {
    const std::string path = writeFile(name + ".pt", bytes);
    writeFile(name + ".json", json);
    auto m = loadClassifier(path);
    ASSERT_FALSE(m.ok()) << name;
    EXPECT_NE(m.status().message().find(path), std::string::npos) << m.status().toString();
    EXPECT_NE(m.status().message().find("TorchScript"), std::string::npos) << m.status().toString();
  }
  // Wrong JSON for a valid module: input size / class count mismatches are reported, not thrown.
  const std::string path = writeFile("wrong_classes.pt", good);
  writeFile("wrong_classes.json", "{\"arch\":\"torchscript\",\"num_classes\":5,\"input_size\":8}");
  auto m = loadClassifier(path);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("num_classes"), std::string::npos) << m.status().toString();
  EXPECT_FALSE(loadClassifier(writeFile("nojson.pt", good)).ok());   // no JSON next to it
}

TEST(CttaScripted, StageTakesTorchScriptModels) {
  atelier::ParamSet v;
  v["model"] = kDir + "tiny_scripted.pt";
  atelier::Packet in;
  in.index = 0;
  in.tensors["image"] = torch::rand({4, 3, 16, 16});   // resized to the JSON's input_size 8
  atelier::RunContext ctx;
  for (std::string method : {"tent", "eata"}) {
    auto stage = makeCttaStage(method);
    ASSERT_TRUE(stage);
    ASSERT_TRUE(stage->configure(v).ok()) << method;
    auto out = stage->process(in, ctx);
    ASSERT_TRUE(out.ok()) << method << ": " << out.status().toString();
    EXPECT_EQ(out->tensors["logits"].sizes(), (std::vector<int64_t>{4, 3}));
    EXPECT_EQ(out->text["method"], method == "eata" ? "eata (no Fisher: no source training images)" : "tent");
  }
  v["model"] = kDir + "tiny_traced.pt";
  auto tent = makeCttaStage("tent");
  const auto st = tent->configure(v);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("torch.jit.script"), std::string::npos) << st.toString();
  auto source = makeCttaStage("source");
  ASSERT_TRUE(source->configure(v).ok());
  auto out = source->process(in, ctx);
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(out->text["label"].empty(), false);
}
