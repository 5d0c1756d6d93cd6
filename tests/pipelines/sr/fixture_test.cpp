// Reproduces the outputs shipped in the @upscalerjs packages (assets/fixture.png → assets/samples/<s>x/result.png).
// Needs node_modules (scripts/setup.sh installs it); skips with a message otherwise.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "png_util.h"
#include "sr/sr_stage.h"
#include "sr/upscaler.h"

namespace atelier::sr {
namespace {

namespace fs = std::filesystem;

class SrFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(SrFixture, ReproducesPackagedSamples) {
  const std::string name = GetParam();
  auto pkg = findPackageDir("", name);
  if (!pkg.ok()) GTEST_SKIP() << pkg.status().message();
  std::string err;
  at::Tensor fixture = test::readPngRgb((fs::path(*pkg) / "assets" / "fixture.png").string(), &err);
  ASSERT_TRUE(fixture.defined()) << err;
  int checked = 0;
  for (int64_t s : knownScales()) {
    fs::path expected_png = fs::path(*pkg) / "assets" / "samples" / (std::to_string(s) + "x") / "result.png";
    if (!fs::exists(expected_png)) continue;
    at::Tensor expected = test::readPngRgb(expected_png.string(), &err);
    ASSERT_TRUE(expected.defined()) << err;
    UpscalerConfig cfg;
    cfg.model = name;
    cfg.scale = s;
    cfg.models_dir = fs::path(*pkg).parent_path().parent_path().string();
    auto up = Upscaler::load(cfg);
    ASSERT_TRUE(up.ok()) << up.status().toString();
    UpscaleOptions opt;
    opt.tiles.tile = 0;   // the packaged samples were made from the whole image
    auto out = (*up)->upscale(fixture, opt);
    ASSERT_TRUE(out.ok()) << out.status().toString();
    ASSERT_EQ(out->sizes(), expected.sizes()) << expected_png;
    at::Tensor a = out->mul(255).round(), e = expected.mul(255).round();
    const double max_diff = (a - e).abs().max().item<double>();
    const double equal = (a == e).to(at::kDouble).mean().item<double>();
    const double mse = (out->mul(255) - e).pow(2).mean().item<double>();
    std::cout << "[fixture] " << name << " x" << s << ": max |diff| " << max_diff << "/255, equal "
              << 100.0 * equal << " %, PSNR " << 10 * std::log10(255.0 * 255.0 / std::max(mse, 1e-12)) << " dB\n";
    EXPECT_LE(max_diff, 1.0) << name << " x" << s;
    EXPECT_GE(equal, 0.999) << name << " x" << s;
    ++checked;
  }
  EXPECT_GT(checked, 0) << "no samples found in " << *pkg;
}

TEST(SrStage, ParamsConfigureAndProcess) {
  auto pkg = findPackageDir("", "esrgan-slim");
  if (!pkg.ok()) GTEST_SKIP() << pkg.status().message();
  EsrganStage st;
  std::vector<std::string> ids;
  for (const ParamSpec& p : st.params()) ids.push_back(p.id);
  for (const char* want : {"model", "scale", "tile", "overlap", "dtype"}) {
    EXPECT_NE(std::find(ids.begin(), ids.end(), want), ids.end()) << want;
  }
  EXPECT_FALSE(st.configure({{"scale", std::string("5")}}).ok());
  EXPECT_FALSE(st.configure({{"tile", int64_t(16)}, {"overlap", int64_t(16)}}).ok());
  ASSERT_TRUE(st.configure({{"scale", std::string("2")}, {"tile", int64_t(16)}, {"overlap", int64_t(8)}}).ok());
  Packet in;
  in.tensors["image"] = at::rand({1, 3, 20, 24});
  RunContext ctx;
  auto out = st.process(in, ctx);
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(out->tensors.at("image").sizes(), (at::IntArrayRef{1, 3, 40, 48}));
  Packet empty;
  EXPECT_FALSE(st.process(empty, ctx).ok());
}

INSTANTIATE_TEST_SUITE_P(Packages, SrFixture, ::testing::Values("esrgan-slim", "esrgan-medium", "esrgan-thick"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

}  // namespace
}  // namespace atelier::sr
