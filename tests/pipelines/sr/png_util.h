// Minimal PNG reader for the SR tests (libpng simplified API; no OpenCV): → [1,3,H,W] float32 in [0,1].
#pragma once

#include <ATen/ATen.h>
#include <png.h>

#include <cstring>
#include <string>
#include <vector>

namespace atelier::test {

// Reads `path` as 8-bit RGB; returns an undefined tensor and sets `err` on failure.
inline at::Tensor readPngRgb(const std::string& path, std::string* err) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, path.c_str())) {
    if (err) *err = path + ": " + img.message;
    return {};
  }
  img.format = PNG_FORMAT_RGB;
  std::vector<uint8_t> buf(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, buf.data(), 0, nullptr)) {
    if (err) *err = path + ": " + img.message;
    png_image_free(&img);
    return {};
  }
  at::Tensor t = at::from_blob(buf.data(), {int64_t(img.height), int64_t(img.width), 3}, at::kByte).clone();
  return t.permute({2, 0, 1}).unsqueeze(0).to(at::kFloat).div_(255.0).contiguous();
}

}  // namespace atelier::test
