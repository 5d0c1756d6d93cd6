// WRN-16-4 from ../shared reproduces the check logits; the JPEG archive decodes to the check inputs.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "atelier/safetensors.h"
#include "ctta/classifier.h"
#include "ctta/dataset.h"
#include "ctta/method.h"
#include "test_util.h"

using namespace atelier::ctta;

TEST(CttaShared, WrnCheckLogits) {
  CTTA_REQUIRE_SHARED();
  const std::string dir = ctta_test::sharedDir() + "/models/";
  auto model = loadClassifier(dir + "wrn16_4_cifar10.safetensors");
  ASSERT_TRUE(model.ok()) << model.status().toString();
  auto check = atelier::loadSafetensors(dir + "wrn16_4_cifar10.check.safetensors");
  ASSERT_TRUE(check.ok()) << check.status().toString();
  torch::NoGradGuard ng;
  at::Tensor y = (*model)->logits(check->at("input"));
  const double err = (y - check->at("logits")).abs().max().item<double>();
  EXPECT_LE(err, 1e-4) << "max |logits - check|";
  EXPECT_EQ(y.argmax(1).eq(0).sum().item<int64_t>(), 8);
}

// The shared .pt is a torch.jit.trace (PyTorch 2.11): source inference matches the check logits, adaptation is
// refused with the export advice. Older LibTorch may not read a 2.11 archive: then it must be a clear Status.
TEST(CttaShared, TracedWrnRunsAsSourceAndIsRefusedForTent) {
  CTTA_REQUIRE_SHARED();
  const std::string dir = ctta_test::sharedDir() + "/models/";
  auto model = loadClassifier(dir + "wrn16_4_cifar10.pt");
  if (!model.ok()) {
    EXPECT_NE(model.status().message().find("wrn16_4_cifar10.pt"), std::string::npos) << model.status().toString();
    GTEST_SKIP() << "this LibTorch cannot load the shared trace: " << model.status().toString();
  }
  EXPECT_EQ((*model)->spec().arch, "torchscript");
  auto check = atelier::loadSafetensors(dir + "wrn16_4_cifar10.check.safetensors");
  ASSERT_TRUE(check.ok());
  auto src = makeMethod("source", **model, {});
  ASSERT_TRUE(src.ok()) << src.status().toString();
  at::Tensor y = (*src)->forwardAndAdapt(check->at("input")).value();
  EXPECT_LE((y - check->at("logits")).abs().max().item<double>(), 1e-4);
  auto tent = makeMethod("tent", **model, {});
  ASSERT_FALSE(tent.ok());
  EXPECT_NE(tent.status().message().find("torch.jit.script"), std::string::npos) << tent.status().toString();
}

TEST(CttaShared, ArchiveDecodesToCheckInputs) {
  CTTA_REQUIRE_SHARED();
  auto set = loadJpegArchive(ctta_test::sharedDir() + "/data/cifar10-jpeg.tar.gz", "test", cifar10Classes(), 1000);
  ASSERT_TRUE(set.ok()) << set.status().toString();
  ASSERT_EQ(set->images.size(0), 10000);
  EXPECT_EQ(set->labels[9999].item<int64_t>(), 9);
  auto check = atelier::loadSafetensors(ctta_test::sharedDir() + "/models/wrn16_4_cifar10.check.safetensors");
  ASSERT_TRUE(check.ok());
  at::Tensor x = toFloatNCHW(set->images.slice(0, 0, 8));
  EXPECT_EQ((x - check->at("input")).abs().max().item<double>(), 0.0);
}

TEST(CttaShared, BadModelJsonIsAStatus) {
  auto s = parseModelSpec("{\"arch\": \"vgg\"}", "x.json");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("x.json"), std::string::npos);
  auto m = loadClassifier("/nonexistent/model.safetensors");
  EXPECT_FALSE(m.ok());
}
