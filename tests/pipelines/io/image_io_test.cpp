// atelier_io: PNG round trips (8/16-bit, alpha, text chunks), JPEG, and clear errors on bad files.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "atelier/io/image_io.h"
#include "atelier/io/video_io.h"

namespace atelier::io {
namespace {

std::string tmpPath(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / "atelier_io_test";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

TEST(ImageIo, Png8RoundTripWithTextChunks) {
  at::Tensor img = at::rand({1, 3, 17, 23});
  auto path = tmpPath("a.png");
  SaveOptions opt;
  opt.text["parameters"] = "a cat\nNegative prompt: \nSteps: 20, Sampler: ddim, CFG scale: 7.5, Seed: 0";
  opt.text["Comment"] = "naïve — 東京";
  ASSERT_TRUE(saveImage(path, img, opt).ok());
  ImageInfo info;
  auto back = loadImage(path, {}, &info);
  ASSERT_TRUE(back.ok()) << back.status().toString();
  EXPECT_EQ(info.width, 23);
  EXPECT_EQ(info.height, 17);
  EXPECT_LE((back.value() - img).abs().max().item<double>(), 0.5 / 255 + 1e-6);
  auto text = readPngText(path);
  ASSERT_TRUE(text.ok()) << text.status().toString();
  EXPECT_EQ(text.value().at("parameters"), opt.text["parameters"]);
  EXPECT_EQ(text.value().at("Comment"), opt.text["Comment"]);
}

TEST(ImageIo, Png16AndAlpha) {
  at::Tensor img = at::rand({1, 4, 8, 9});
  auto path = tmpPath("b.png");
  SaveOptions opt;
  opt.bit_depth = 16;
  ASSERT_TRUE(saveImage(path, img, opt).ok());
  LoadOptions lo;
  lo.keep_alpha = true;
  ImageInfo info;
  auto back = loadImage(path, lo, &info);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(info.bit_depth, 16);
  EXPECT_EQ(back.value().size(1), 4);
  EXPECT_LE((back.value() - img).abs().max().item<double>(), 0.5 / 65535 + 1e-6);
  auto rgb = loadImage(path);
  EXPECT_EQ(rgb.value().size(1), 3);
  EXPECT_TRUE(at::allclose(rgb.value(), back.value().slice(1, 0, 3)));
}

TEST(ImageIo, JpegAndGray) {
  at::Tensor img = at::full({1, 1, 16, 16}, 0.5);
  auto path = tmpPath("c.jpg");
  ASSERT_TRUE(saveImage(path, img).ok());
  auto back = loadImage(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.value().size(1), 3);
  EXPECT_NEAR(back.value().mean().item<double>(), 0.5, 0.01);
}

TEST(ImageIo, ClearErrors) {
  auto missing = loadImage(tmpPath("missing.png"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing.png"), std::string::npos);
  auto bad = tmpPath("bad.png");
  std::ofstream(bad) << "\x89PNG\r\n\x1a\n garbage";
  auto r = loadImage(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot decode"), std::string::npos);
  at::Tensor big = at::zeros({1, 3, 64, 64});
  ASSERT_TRUE(saveImage(tmpPath("big.png"), big).ok());
  LoadOptions lim;
  lim.max_pixels = 1000;
  auto refused = loadImage(tmpPath("big.png"), lim);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("pixel limit"), std::string::npos);
  EXPECT_FALSE(saveImage(tmpPath("x.png"), at::zeros({2, 3, 4, 4})).ok());
  EXPECT_FALSE(saveImage("/nonexistent-dir/x.png", big).ok());
  auto vid = VideoSource::open(tmpPath("none.avi"));
  EXPECT_FALSE(vid.ok());
}

}  // namespace
}  // namespace atelier::io
