// tfjs LayersModel reader validation and the rebuilt network vs an independent reference.
#include "support/fs_util.h"
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <filesystem>

#include "sr/tfjs_model.h"
#include "sr/tfjs_net.h"
#include "toy_model.h"

namespace atelier::sr {
namespace {

namespace fs = std::filesystem;
using test::ToyModel;
using test::json;

class TfjsReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("atelier_sr_reader_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    atelier::test::removeTree(dir_.string());
  }
  void TearDown() override { atelier::test::removeTree(dir_.string()); }
  // Writes the (possibly mutated) toy model and reads it back; returns the error message ("" when ok).
  std::string readBack(const ToyModel& t, Status* code = nullptr) {
    auto r = readTfjsModel(test::writeToyModel(dir_, t));
    if (code) *code = r.status();
    return r.ok() ? "" : r.status().message();
  }
  json& weightEntry(ToyModel& t, const std::string& name) {
    for (json& w : t.model["weightsManifest"][0]["weights"]) {
      if (w["name"] == name) return w;
    }
    throw std::runtime_error("no weight " + name);
  }
  fs::path dir_;
};

TEST_F(TfjsReaderTest, ReadsToyModelAndChannels) {
  ToyModel t = test::makeToyModel();
  auto r = readTfjsModel(test::writeToyModel(dir_, t));
  ASSERT_TRUE(r.ok()) << r.status().toString();
  EXPECT_EQ(r->scale(), 4);
  EXPECT_TRUE(r->isRrdn());
  EXPECT_EQ(r->input, "LR");
  EXPECT_EQ(r->output, "SR");
  EXPECT_EQ(r->weights.size(), 8u);
  EXPECT_TRUE(r->weights.at("c2/kernel").equal(t.weights.at("c2/kernel")));
  const LayerDesc& cat = r->layers[3];
  EXPECT_EQ(cat.name, "cat");
  EXPECT_EQ(cat.channels, 16);
}

TEST_F(TfjsReaderTest, RejectsTruncatedShard) {
  ToyModel t = test::makeToyModel();
  std::string path = test::writeToyModel(dir_, t);
  fs::resize_file(dir_ / "group1-shard1of1.bin", fs::file_size(dir_ / "group1-shard1of1.bin") - 8);
  auto r = readTfjsModel(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("model.json"), std::string::npos) << m;
  EXPECT_NE(m.find("group1-shard1of1.bin"), std::string::npos) << m;
  EXPECT_NE(m.find("truncated"), std::string::npos) << m;
  EXPECT_NE(m.find("weight 'ps_conv/kernel'"), std::string::npos) << m;   // the last weight in sorted order
}

TEST_F(TfjsReaderTest, RejectsExtraShardBytes) {
  ToyModel t = test::makeToyModel();
  std::string path = test::writeToyModel(dir_, t);
  std::ofstream(dir_ / "group1-shard1of1.bin", std::ios::binary | std::ios::app) << "xxxx";
  auto r = readTfjsModel(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("but the manifest describes"), std::string::npos) << r.status().message();
}

TEST_F(TfjsReaderTest, RejectsWrongDtype) {
  ToyModel t = test::makeToyModel();
  weightEntry(t, "SR/bias")["dtype"] = "int32";
  std::string m = readBack(t);
  EXPECT_NE(m.find("weight 'SR/bias': unsupported dtype 'int32'"), std::string::npos) << m;
}

TEST_F(TfjsReaderTest, RejectsShapeMismatch) {
  ToyModel t = test::makeToyModel();
  weightEntry(t, "c1/kernel")["shape"] = {3, 3, 8, 3};   // same size, wrong layout
  std::string m = readBack(t);
  EXPECT_NE(m.find("weight 'c1/kernel' has shape [3,3,8,3] but layer 'c1' needs [3,3,3,8]"), std::string::npos) << m;
}

TEST_F(TfjsReaderTest, RejectsMissingWeight) {
  ToyModel t = test::makeToyModel();
  json& ws = t.model["weightsManifest"][0]["weights"];
  for (size_t i = 0; i < ws.size(); ++i) {
    if (ws[i]["name"] == "ps_conv/bias") { ws.erase(i); break; }
  }
  Status st;
  std::string m = readBack(t, &st);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(m.find("layer 'ps_conv' needs weight 'ps_conv/bias'"), std::string::npos) << m;
}

TEST_F(TfjsReaderTest, RejectsMissingShardAndBadJsonAndUnknownLayer) {
  ToyModel t = test::makeToyModel();
  t.model["weightsManifest"][0]["paths"] = {"nope.bin"};
  std::string m = readBack(t);
  EXPECT_NE(m.find("nope.bin: cannot open file"), std::string::npos) << m;

  ToyModel u = test::makeToyModel();
  u.model["modelTopology"]["model_config"]["config"]["layers"][2]["class_name"] = "LeakyReLU";
  m = readBack(u);
  EXPECT_NE(m.find("layer 'r1': unsupported layer class 'LeakyReLU'"), std::string::npos) << m;

  fs::create_directories(dir_);
  std::ofstream(dir_ / "bad.json") << "{not json";
  auto r = readTfjsModel((dir_ / "bad.json").string());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bad.json: not valid JSON"), std::string::npos);
}

TEST_F(TfjsReaderTest, NetMatchesIndependentReference) {
  ToyModel t = test::makeToyModel();
  auto m = readTfjsModel(test::writeToyModel(dir_, t));
  ASSERT_TRUE(m.ok()) << m.status().toString();
  torch::manual_seed(1);
  torch::Tensor x = torch::rand({2, 3, 9, 11});
  torch::Tensor ref = test::toyReference(t, x);
  for (bool fuse : {false, true}) {
    NetOptions o;
    o.fuse_upsample_conv = fuse;
    auto net = TfjsNetImpl::build(*m, o);
    ASSERT_TRUE(net.ok()) << net.status().toString();
    torch::NoGradGuard ng;
    torch::Tensor y = (*net)->forward(x);
    ASSERT_EQ(y.sizes(), ref.sizes());
    EXPECT_LT((y - ref).abs().max().item<double>(), 1e-5) << "fuse=" << fuse;
  }
  // named_parameters mirror the Keras layer names.
  auto net = TfjsNetImpl::build(*m, {});
  ASSERT_TRUE(net.ok());
  auto params = (*net)->named_parameters();
  EXPECT_TRUE(params.contains("c1.weight"));
  EXPECT_TRUE(params.contains("SR.bias"));
}

TEST(TfjsOps, PhaseKernelEqualsUpsampleThenConv) {
  torch::manual_seed(3);
  for (int64_t s : {2, 3, 8}) {
    for (int64_t k : {3, 5}) {
      torch::Tensor w = torch::randn({3, 4, k, k}), x = torch::randn({1, 4, 5, 6});
      torch::Tensor ref = torch::conv2d(torch::upsample_nearest2d(x, {5 * s, 6 * s}), w, {}, 1, k / 2);
      torch::Tensor pk = phaseKernel(w, s);
      torch::Tensor y = torch::pixel_shuffle(torch::conv2d(x, pk, {}, 1, pk.size(2) / 2), s);
      EXPECT_LT((y - ref).abs().max().item<double>(), 1e-4) << "s=" << s << " k=" << k;
    }
  }
}

TEST(TfjsOps, DepthToSpaceFollowsTensorFlowOrder) {
  // in[(i·s+j)·C + c] → out[c, h·s+i, w·s+j]; differs from torch::pixel_shuffle (c·s²+i·s+j).
  torch::Tensor x = torch::arange(2 * 12 * 2 * 2, torch::kFloat).view({2, 12, 2, 2});
  torch::Tensor y = depthToSpaceTF(x, 2);
  ASSERT_EQ(y.sizes(), (torch::IntArrayRef{2, 3, 4, 4}));
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < 2; ++j)
        EXPECT_EQ(y[1][c][2 + i][j].item<float>(), x[1][(i * 2 + j) * 3 + c][1][0].item<float>());
  EXPECT_FALSE(y.equal(torch::pixel_shuffle(x, 2)));
}

}  // namespace
}  // namespace atelier::sr
