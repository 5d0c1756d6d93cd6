// Image files <-> tensors (the only OpenCV/libpng users besides video_io). Errors name the file.
// Tensors: [1,C,H,W] float32 in [0,1], C = 1 (gray), 3 (RGB) or 4 (RGBA); RGB channel order.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <string>

#include "atelier/status.h"

namespace atelier::io {

struct ImageInfo { int width = 0, height = 0, channels = 0, bit_depth = 8; };

struct LoadOptions {
  bool keep_alpha = false;        // false: RGBA is composited to RGB; true: keep 4 channels
  bool force_rgb = true;          // gray → 3 channels
  int64_t max_pixels = 0;         // refuse larger images (0: no limit)
};

// Reads PNG (8/16-bit), JPEG, BMP, TIFF, WebP… via OpenCV. 16-bit inputs keep their precision (/65535).
Result<at::Tensor> loadImage(const std::string& path, const LoadOptions& opt = {}, ImageInfo* info = nullptr);
// Reads the header only (size, channels, depth).
Result<ImageInfo> probeImage(const std::string& path);

struct SaveOptions {
  int bit_depth = 8;                                  // 8 or 16 (PNG only)
  std::map<std::string, std::string> text;            // PNG tEXt chunks, e.g. {"parameters": A1111 text}
  int jpeg_quality = 95;
};
// Writes [1,C,H,W] or [C,H,W] in [0,1] (values are clamped and rounded). PNG via libpng (text chunks kept),
// other formats via OpenCV by extension. Writes to a temp file then renames (no half-written files).
Status saveImage(const std::string& path, const at::Tensor& image, const SaveOptions& opt = {});
// Reads PNG tEXt/iTXt chunks (e.g. "parameters").
Result<std::map<std::string, std::string>> readPngText(const std::string& path);

}  // namespace atelier::io
