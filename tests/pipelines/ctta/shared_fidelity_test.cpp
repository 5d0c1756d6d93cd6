// Corruption fidelity against the reference stream made with the original code (../shared/golden/ctta-reference).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "atelier/safetensors.h"
#include "ctta/corruptions.h"
#include "ctta/dataset.h"
#include "test_util.h"

using namespace atelier::ctta;

namespace {
double meanPsnr(const at::Tensor& a, const at::Tensor& b) {   // uint8 [N,H,W,3], identical images excluded
  at::Tensor mse = (a.to(torch::kDouble) - b.to(torch::kDouble)).pow(2).flatten(1).mean(1);
  at::Tensor keep = mse.gt(0);
  return (10.0 * torch::log10(255.0 * 255.0 / mse.masked_select(keep))).mean().item<double>();
}
}  // namespace

TEST(CttaFidelity, DeterministicMatchReference) {
  CTTA_REQUIRE_SHARED();
  auto ref = atelier::loadSafetensors(ctta_test::sharedDir() + "/golden/ctta-reference/stream_sev5_first100.safetensors");
  ASSERT_TRUE(ref.ok()) << ref.status().toString();
  const at::Tensor clean = ref->at("clean");
  const at::Tensor idx = ref->at("permutation").slice(0, 0, 100);
  for (auto c : {Corruption::kDefocusBlur, Corruption::kZoomBlur, Corruption::kBrightness, Corruption::kContrast,
                 Corruption::kPixelate, Corruption::kJpegCompression}) {
    auto out = corruptBatch(clean, idx, c, 5, CorruptionSet::kCifar32, 0);
    ASSERT_TRUE(out.ok()) << out.status().toString();
    at::Tensor d = (out->to(torch::kInt) - ref->at(corruptionName(c)).to(torch::kInt)).abs();
    const double within = d.le(1).to(torch::kDouble).mean().item<double>();
    std::printf("%-18s within ±1 LSB: %.4f  max diff %d\n", corruptionName(c), within, d.max().item<int>());
    EXPECT_GE(within, 0.99) << corruptionName(c);

  }
}

TEST(CttaFidelity, RandomMatchReferencePsnr) {
  CTTA_REQUIRE_SHARED();
  const std::string dir = ctta_test::sharedDir();
  auto ref = atelier::loadSafetensors(dir + "/golden/ctta-reference/stream_sev5_first100.safetensors");
  ASSERT_TRUE(ref.ok());
  std::ifstream f(dir + "/golden/ctta-reference/corruption_stats.json");
  auto stats = nlohmann::json::parse(f)["stats"];
  auto set = loadJpegArchive(dir + "/data/cifar10-jpeg.tar.gz", "test", cifar10Classes(), 1000);
  ASSERT_TRUE(set.ok()) << set.status().toString();
  auto sel = selectByIndex(*set, ref->at("permutation").slice(0, 0, 200));
  ASSERT_TRUE(sel.ok());
  auto frost = loadFrostBank(dir + "/data/frost", CorruptionSet::kCifar32);
  ASSERT_TRUE(frost.ok()) << frost.status().toString();
  for (size_t i = 0; i < corruptionNames().size(); ++i) {
    const auto c = Corruption(i);
    if (!corruptionIsRandom(c)) continue;
    auto out = corruptBatch(sel->images, sel->indices, c, 5, CorruptionSet::kCifar32, 0, &*frost);
    ASSERT_TRUE(out.ok()) << out.status().toString();
    const double mine = meanPsnr(*out, sel->images);
    const double want = stats[corruptionName(c)]["psnr_db_mean"].get<double>();
    std::printf("%-18s PSNR %.2f dB (reference %.2f, diff %+.2f)\n", corruptionName(c), mine, want, mine - want);
    EXPECT_NEAR(mine, want, 0.5) << corruptionName(c);
  }
}
