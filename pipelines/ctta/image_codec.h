// Small image codecs without OpenCV: JPEG via libjpeg(-turbo) (library defaults: ISLOW IDCT, fancy upsampling,
// as PIL and OpenCV use them), 8-bit non-interlaced PNG via zlib, and a tar.gz walker.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "atelier/status.h"

namespace atelier::ctta {

struct Image8 {                       // interleaved 8-bit image, HWC, RGB when c == 3
  int h = 0, w = 0, c = 3;
  std::vector<uint8_t> data;
  uint8_t* at(int y, int x) { return data.data() + (size_t(y) * w + x) * c; }
  const uint8_t* at(int y, int x) const { return data.data() + (size_t(y) * w + x) * c; }
};

// Decodes a JPEG to RGB; `label` names the source in errors.
Result<Image8> decodeJpeg(const uint8_t* bytes, size_t n, const std::string& label);
// Encodes RGB with libjpeg defaults at `quality` (baseline, 4:2:0), like PIL's save(quality=q).
Result<std::vector<uint8_t>> encodeJpeg(const Image8& img, int quality);
// Decodes an 8-bit, non-interlaced PNG (grey, RGB, RGBA; alpha dropped) to RGB.
Result<Image8> decodePng(const uint8_t* bytes, size_t n, const std::string& label);
// Reads a .png/.jpg file (by signature) to RGB.
Result<Image8> readImageFile(const std::string& path);

// Calls fn(name, bytes) for each regular file of a .tar or .tar.gz; fn returns false to stop early.
Status forEachTarEntry(const std::string& path,
                       const std::function<bool(const std::string& name, const std::string& bytes)>& fn);

}  // namespace atelier::ctta
