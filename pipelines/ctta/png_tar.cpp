// Minimal PNG decoder (8-bit, non-interlaced) and tar / tar.gz walker, both on zlib.
#include <zlib.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "ctta/image_codec.h"

namespace atelier::ctta {
namespace {
uint32_t be32(const uint8_t* p) { return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3]; }
int paeth(int a, int b, int c) {
  int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c);
}
}  // namespace

Result<Image8> decodePng(const uint8_t* b, size_t n, const std::string& label) {
  static const uint8_t sig[8] = {137, 80, 78, 71, 13, 10, 26, 10};
  if (n < 8 || std::memcmp(b, sig, 8) != 0) return Status::Corruption(label + ": not a PNG file");
  size_t pos = 8;
  int w = 0, h = 0, color = 0, depth = 0, interlace = 0;
  std::string idat;
  while (pos + 12 <= n) {
    uint32_t len = be32(b + pos);
    std::string type(reinterpret_cast<const char*>(b + pos + 4), 4);
    if (pos + 12 + size_t(len) > n) return Status::Corruption(label + ": truncated PNG chunk " + type);
    const uint8_t* d = b + pos + 8;
    if (type == "IHDR") {
      w = int(be32(d)); h = int(be32(d + 4)); depth = d[8]; color = d[9]; interlace = d[12];
    } else if (type == "IDAT") {
      idat.append(reinterpret_cast<const char*>(d), len);
    } else if (type == "IEND") {
      break;
    }
    pos += 12 + len;
  }
  const int ch = color == 0 ? 1 : color == 2 ? 3 : color == 4 ? 2 : color == 6 ? 4 : 0;
  if (w <= 0 || h <= 0 || depth != 8 || ch == 0 || interlace != 0)
    return Status::Unsupported(label + ": only 8-bit non-interlaced grey/RGB/RGBA PNG is supported");
  const size_t stride = size_t(w) * ch;
  std::vector<uint8_t> raw((stride + 1) * h);
  uLongf raw_n = raw.size();
  if (uncompress(raw.data(), &raw_n, reinterpret_cast<const Bytef*>(idat.data()), idat.size()) != Z_OK ||
      raw_n != raw.size())
    return Status::Corruption(label + ": PNG image data does not inflate to the expected size");
  std::vector<uint8_t> pix(stride * h);
  for (int y = 0; y < h; ++y) {
    const uint8_t f = raw[y * (stride + 1)];
    const uint8_t* src = &raw[y * (stride + 1) + 1];
    uint8_t* cur = &pix[y * stride];
    const uint8_t* prev = y ? &pix[(y - 1) * stride] : nullptr;
    for (size_t i = 0; i < stride; ++i) {
      int a = i >= size_t(ch) ? cur[i - ch] : 0, up = prev ? prev[i] : 0, c = (prev && i >= size_t(ch)) ? prev[i - ch] : 0;
      int v = src[i];
      switch (f) {
        case 0: break;
        case 1: v += a; break;
        case 2: v += up; break;
        case 3: v += (a + up) / 2; break;
        case 4: v += paeth(a, up, c); break;
        default: return Status::Corruption(label + ": bad PNG filter type");
      }
      cur[i] = uint8_t(v & 255);
    }
  }
  Image8 img;
  img.w = w; img.h = h; img.c = 3;
  img.data.resize(size_t(w) * h * 3);
  for (size_t p = 0; p < size_t(w) * h; ++p)
    for (int k = 0; k < 3; ++k) img.data[p * 3 + k] = pix[p * ch + (ch >= 3 ? k : 0)];
  return img;
}

Result<Image8> readImageFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::NotFound(path + ": cannot open image");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string s = ss.str();
  const auto* b = reinterpret_cast<const uint8_t*>(s.data());
  if (s.size() > 8 && b[0] == 137 && b[1] == 'P') return decodePng(b, s.size(), path);
  if (s.size() > 2 && b[0] == 0xFF && b[1] == 0xD8) return decodeJpeg(b, s.size(), path);
  return Status::Unsupported(path + ": unknown image format (PNG or JPEG expected)");
}

Status forEachTarEntry(const std::string& path,
                       const std::function<bool(const std::string&, const std::string&)>& fn) {
  gzFile g = gzopen(path.c_str(), "rb");   // reads plain tar transparently too
  if (!g) return Status::NotFound(path + ": cannot open archive");
  gzbuffer(g, 1 << 18);
  char hdr[512];
  std::string long_name;
  Status st;
  while (true) {
    int got = gzread(g, hdr, 512);
    if (got == 0) break;
    if (got != 512) { st = Status::Corruption(path + ": truncated tar header"); break; }
    bool zero = true;
    for (char c : hdr) if (c) { zero = false; break; }
    if (zero) break;
    std::string name(hdr, strnlen(hdr, 100));
    std::string prefix(hdr + 345, strnlen(hdr + 345, 155));
    if (!prefix.empty() && std::memcmp(hdr + 257, "ustar", 5) == 0) name = prefix + "/" + name;
    uint64_t size = std::strtoull(std::string(hdr + 124, strnlen(hdr + 124, 12)).c_str(), nullptr, 8);
    const char type = hdr[156];
    std::string data(size, '\0');
    if (size && gzread(g, data.data(), unsigned(size)) != int(size)) {
      st = Status::Corruption(path + ": truncated tar entry " + name);
      break;
    }
    const uint64_t pad = (512 - size % 512) % 512;
    if (pad) { char tmp[512]; gzread(g, tmp, unsigned(pad)); }
    if (type == 'L') { long_name = data.c_str(); continue; }
    if (!long_name.empty()) { name = long_name; long_name.clear(); }
    if (name.rfind("./", 0) == 0) name = name.substr(2);
    if (type == '0' || type == '\0') {
      if (!fn(name, data)) break;
    }
  }
  gzclose(g);
  return st;
}

}  // namespace atelier::ctta
