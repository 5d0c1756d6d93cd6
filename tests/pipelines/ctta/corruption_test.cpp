// Corruption properties on synthetic images: determinism, direction, severity monotonicity, helpers.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "ctta/corrupt_ops.h"
#include "ctta/corruptions.h"

using namespace atelier::ctta;

namespace {
Image8 synthetic(int n, uint64_t seed = 3) {   // smooth gradients + a checkerboard + mild texture
  Image8 img;
  img.h = img.w = n;
  img.data.resize(size_t(n) * n * 3);
  ops::Rng rng(seed);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x)
      for (int c = 0; c < 3; ++c) {
        double v = 40 + 120.0 * x / n + 50.0 * c * y / n + (((x / 4) + (y / 4)) % 2 ? 30 : 0) + 10 * rng.uniform();
        img.at(y, x)[c] = uint8_t(std::min(255.0, v));
      }
  return img;
}
FrostBank syntheticFrost(int n) {
  FrostBank b;
  for (int i = 0; i < 5; ++i) {
    Image8 f;
    f.h = n + 20 + i; f.w = n + 30;
    f.data.resize(size_t(f.h) * f.w * 3);
    for (size_t k = 0; k < f.data.size(); ++k) f.data[k] = uint8_t(150 + (k * 7 + i) % 100);
    b.images.push_back(f);
  }
  return b;
}
double mse(const Image8& a, const Image8& b) {
  double s = 0;
  for (size_t i = 0; i < a.data.size(); ++i) s += std::pow(double(a.data[i]) - b.data[i], 2);
  return s / double(a.data.size());
}
double meanOf(const Image8& a) {
  double s = 0;
  for (auto v : a.data) s += v;
  return s / double(a.data.size());
}
double totalVariation(const Image8& a) {
  double s = 0;
  for (int y = 0; y < a.h; ++y)
    for (int x = 1; x < a.w; ++x)
      for (int c = 0; c < 3; ++c) s += std::abs(double(a.at(y, x)[c]) - a.at(y, x - 1)[c]);
  return s;
}
Image8 run(const Image8& img, Corruption c, int sev, CorruptionSet set, uint64_t seed, const FrostBank* f) {
  auto r = corruptImage(img, c, sev, set, seed, f);
  EXPECT_TRUE(r.ok()) << corruptionName(c) << ": " << r.status().toString();
  return r.ok() ? r.value() : img;
}
}  // namespace

TEST(CttaCorruptions, SameSeedSameBytesAllCorruptionsBothSets) {
  for (auto set : {CorruptionSet::kCifar32, CorruptionSet::kImageNet224}) {
    const int n = set == CorruptionSet::kCifar32 ? 32 : 224;
    const Image8 img = synthetic(n);
    const FrostBank frost = syntheticFrost(n);
    for (size_t i = 0; i < corruptionNames().size(); ++i) {
      const auto c = Corruption(i);
      const int sev = set == CorruptionSet::kCifar32 ? 5 : 3;
      Image8 a = run(img, c, sev, set, 42, &frost), b = run(img, c, sev, set, 42, &frost);
      EXPECT_EQ(a.data, b.data) << corruptionName(c);
      EXPECT_EQ(a.h, n);
      EXPECT_GT(mse(a, img), 0.0) << corruptionName(c) << " left the image unchanged";
      if (corruptionIsRandom(c)) {
        Image8 d = run(img, c, sev, set, 43, &frost);
        EXPECT_NE(a.data, d.data) << corruptionName(c) << ": seed has no effect";
      }
    }
  }
}

TEST(CttaCorruptions, MonotoneSeverity) {
  const Image8 img = synthetic(32);
  for (auto c : {Corruption::kGaussianNoise, Corruption::kShotNoise, Corruption::kImpulseNoise, Corruption::kDefocusBlur,
                 Corruption::kZoomBlur, Corruption::kContrast}) {
    double prev = -1;
    for (int s = 1; s <= 5; ++s) {
      const double e = mse(run(img, c, s, CorruptionSet::kCifar32, 7, nullptr), img);
      EXPECT_GT(e, prev) << corruptionName(c) << " severity " << s;
      prev = e;
    }
  }
}

TEST(CttaCorruptions, DocumentedDirection) {
  const Image8 img = synthetic(32);
  const FrostBank frost = syntheticFrost(32);
  const auto set = CorruptionSet::kCifar32;
  const double tv = totalVariation(img), mean = meanOf(img);
  for (auto c : {Corruption::kDefocusBlur, Corruption::kMotionBlur, Corruption::kZoomBlur, Corruption::kPixelate})
    EXPECT_LT(totalVariation(run(img, c, 5, set, 1, nullptr)), tv) << corruptionName(c) << " should smooth";
  for (auto c : {Corruption::kGaussianNoise, Corruption::kShotNoise, Corruption::kImpulseNoise})
    EXPECT_GT(totalVariation(run(img, c, 5, set, 1, nullptr)), tv) << corruptionName(c) << " should add texture";
  for (auto c : {Corruption::kSnow, Corruption::kFrost, Corruption::kBrightness})
    EXPECT_GT(meanOf(run(img, c, 5, set, 1, &frost)), mean + 5) << corruptionName(c) << " should brighten";
  // brightness never lowers V; contrast keeps channel means (up to truncation) and lowers the spread
  Image8 b = run(img, Corruption::kBrightness, 3, set, 1, nullptr);
  Image8 k = run(img, Corruption::kContrast, 5, set, 1, nullptr);
  for (size_t p = 0; p < img.data.size(); p += 3) {
    auto mx = [](const uint8_t* q) { return std::max({q[0], q[1], q[2]}); };
    EXPECT_GE(mx(&b.data[p]), mx(&img.data[p]));
  }
  EXPECT_NEAR(meanOf(k), mean, 1.0);
  EXPECT_LT(totalVariation(k), tv * 0.5);
  // fog lowers contrast against the clean image's spread
  EXPECT_GT(mse(run(img, Corruption::kFog, 5, set, 1, nullptr), img), 10.0);
}

TEST(CttaCorruptions, Helpers) {
  ops::ImageF x(32, 32, 3);
  ops::Rng rng(5);
  for (double& v : x.d) v = rng.uniform();
  ops::ImageF z = ops::clippedZoom(x, 1.0);
  for (size_t i = 0; i < x.d.size(); ++i) ASSERT_NEAR(z.d[i], x.d[i], 1e-12);
  int ks = 0;
  auto sum = [](const std::vector<float>& k) { double s = 0; for (float v : k) s += v; return s; };
  EXPECT_NEAR(sum(ops::diskKernel(1.5, 0.1, &ks)), 1.0, 1e-5);
  EXPECT_NEAR(sum(ops::diskKernel(8, 0.5, &ks)), 1.0130, 5e-4);
  EXPECT_NEAR(sum(ops::diskKernel(10, 0.5, &ks)), 1.0108, 5e-4);
  auto plasma = ops::plasmaFractal(32, 1.75, rng);
  EXPECT_DOUBLE_EQ(*std::min_element(plasma.begin(), plasma.end()), 0.0);
  EXPECT_DOUBLE_EQ(*std::max_element(plasma.begin(), plasma.end()), 1.0);
  // identity round trip of every uint8 value under the x/255 … ·255 truncation convention
  Image8 all;
  all.h = 1; all.w = 256; all.c = 1;
  for (int v = 0; v < 256; ++v) all.data.push_back(uint8_t(v));
  ops::ImageF f = ops::toFloat(all, 255.0);
  EXPECT_EQ(ops::toU8Trunc(f, 1.0, 255.0).data, all.data);
  // Pillow BOX 32 -> 20 -> 32 of a constant image is constant
  Image8 flat = synthetic(32);
  std::fill(flat.data.begin(), flat.data.end(), uint8_t(77));
  EXPECT_EQ(ops::pillowBoxResize(ops::pillowBoxResize(flat, 20, 20), 32, 32).data, flat.data);
}

TEST(CttaCorruptions, BatchAndErrors) {
  auto u8 = torch::randint(0, 256, {4, 32, 32, 3}, torch::kUInt8);
  auto idx = torch::arange(4, torch::kLong);
  auto a = corruptBatch(u8, idx, Corruption::kGaussianNoise, 5, CorruptionSet::kCifar32, 0);
  auto b = corruptBatch(u8, idx, Corruption::kGaussianNoise, 5, CorruptionSet::kCifar32, 0);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->equal(*b));
  EXPECT_FALSE(corruptBatch(u8, idx, Corruption::kFrost, 5, CorruptionSet::kCifar32, 0).ok());   // no frost bank
  EXPECT_FALSE(corruptImage(synthetic(32), Corruption::kFog, 6, CorruptionSet::kCifar32, 0).ok());
  EXPECT_FALSE(parseCorruption("rain").ok());
  EXPECT_EQ(corruptionNames().size(), 15u);
}
