// Tiled upscaling equals whole-image inference; alpha, gray, limits and cancellation.
#include "support/fs_util.h"
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <filesystem>

#include "sr/upscaler.h"
#include "toy_model.h"

namespace atelier::sr {
namespace {

namespace fs = std::filesystem;

// The toy model (receptive-field radius ≈ 3 input pixels) as an Upscaler in [0,1] range.
std::shared_ptr<Upscaler> toyUpscaler() {
  fs::path dir = fs::temp_directory_path() / ("atelier_sr_tiling_" + std::to_string(::getpid()));
  auto m = readTfjsModel(test::writeToyModel(dir, test::makeToyModel()));
  atelier::test::removeTree(fs::path(dir).string());
  if (!m.ok()) return nullptr;
  auto up = Upscaler::fromModel(*m, c10::Device(c10::kCPU), c10::kFloat, /*input_range=*/1.0);
  return up.ok() ? *up : nullptr;
}

TEST(SrTiling, GridCoversImageWithEqualTiles) {
  TileOptions o{32, 16, 4};
  auto g = tileGrid(70, 90, o);
  ASSERT_FALSE(g.empty());
  for (const TileRect& r : g) {
    EXPECT_EQ(r.h, 32);
    EXPECT_EQ(r.w, 32);
    EXPECT_LE(r.y0 + r.h, 70);
    EXPECT_LE(r.x0 + r.w, 90);
  }
  EXPECT_EQ(g.back().y0 + g.back().h, 70);
  EXPECT_EQ(g.back().x0 + g.back().w, 90);
  EXPECT_EQ(tileGrid(20, 10, o).size(), 1u);   // smaller than a tile: one tile of the image size
}

TEST(SrTiling, TiledEqualsWholeImage) {
  auto up = toyUpscaler();
  ASSERT_TRUE(up);
  at::manual_seed(5);
  at::Tensor img = at::rand({1, 3, 70, 90});
  UpscaleOptions whole;
  whole.tiles.tile = 0;
  auto ref = up->upscale(img, whole);
  ASSERT_TRUE(ref.ok()) << ref.status().toString();
  ASSERT_EQ(ref->sizes(), (at::IntArrayRef{1, 3, 280, 360}));
  for (int64_t batch : {1, 3}) {
    UpscaleOptions tiled;
    tiled.tiles = {32, 16, batch};
    int64_t calls = 0, last_total = 0;
    auto out = up->upscale(img, tiled, [&](int64_t done, int64_t total) { ++calls; last_total = total; return true; });
    ASSERT_TRUE(out.ok()) << out.status().toString();
    EXPECT_EQ(last_total, 20);   // 4 rows x 5 columns of 32-px tiles
    EXPECT_EQ(calls, (20 + batch - 1) / batch);
    EXPECT_LT((*out - *ref).abs().max().item<double>(), 1e-3) << "batch " << batch;
  }
}

TEST(SrTiling, TooSmallOverlapShowsSeamsButStaysClose) {
  // Sanity check that the test above is meaningful: with no overlap the border pixels differ.
  auto up = toyUpscaler();
  ASSERT_TRUE(up);
  at::manual_seed(6);
  at::Tensor img = at::rand({1, 3, 64, 64});
  UpscaleOptions whole, tiled;
  whole.tiles.tile = 0;
  tiled.tiles = {32, 0, 4};
  auto a = up->upscale(img, tiled), b = up->upscale(img, whole);
  ASSERT_TRUE(a.ok() && b.ok());
  double d = (*a - *b).abs().max().item<double>();
  EXPECT_GT(d, 1e-3);
}

TEST(SrTiling, AlphaGrayAndLimits) {
  auto up = toyUpscaler();
  ASSERT_TRUE(up);
  at::Tensor rgba = at::rand({1, 4, 16, 12});
  rgba.slice(1, 3, 4).fill_(0.25);
  auto out = up->upscale(rgba, {});
  ASSERT_TRUE(out.ok()) << out.status().toString();
  ASSERT_EQ(out->sizes(), (at::IntArrayRef{1, 4, 64, 48}));
  EXPECT_NEAR(out->slice(1, 3, 4).min().item<double>(), 0.25, 1e-5);   // bicubic of a constant alpha
  EXPECT_NEAR(out->slice(1, 3, 4).max().item<double>(), 0.25, 1e-5);
  auto rgb = up->upscale(rgba.slice(1, 0, 3), {});
  EXPECT_TRUE(out->slice(1, 0, 3).equal(*rgb));
  EXPECT_GE(out->min().item<double>(), 0.0);
  EXPECT_LE(out->max().item<double>(), 1.0);

  auto gray = up->upscale(at::rand({1, 1, 8, 8}), {});
  ASSERT_TRUE(gray.ok());
  EXPECT_EQ(gray->size(1), 1);

  UpscaleOptions small;
  small.max_output_pixels = 1000;
  auto refused = up->upscale(at::rand({1, 3, 16, 16}), small);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("16x16 x4 would give 4096 output pixels, above the limit of 1000"),
            std::string::npos)
      << refused.status().message();

  auto bad = up->upscale(at::rand({1, 2, 8, 8}), {});
  EXPECT_FALSE(bad.ok());

  UpscaleOptions tiles;
  tiles.tiles = {8, 4, 1};
  auto cancelled = up->upscale(at::rand({1, 3, 20, 20}), tiles, [](int64_t, int64_t) { return false; });
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.status().code(), StatusCode::kCancelled);
}

}  // namespace
}  // namespace atelier::sr
