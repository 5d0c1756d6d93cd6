// The 15 corruptions: parameter tables and the per-corruption operations (hendrycks/robustness maths).
#include "ctta/corruptions.h"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "ctta/corrupt_ops.h"

namespace atelier::ctta {
using ops::ImageF;
using ops::Rng;

namespace {
const std::vector<std::string> kNames = {"gaussian_noise", "shot_noise", "impulse_noise", "defocus_blur",
                                         "glass_blur", "motion_blur", "zoom_blur", "snow", "frost", "fog",
                                         "brightness", "contrast", "elastic_transform", "pixelate",
                                         "jpeg_compression"};
template <class T> using Table = std::array<std::array<T, 5>, 2>;   // [set][severity-1]

const Table<double> kGauss = {{{.04, .06, .08, .09, .10}, {.08, .12, .18, .26, .38}}};
const Table<double> kShot = {{{500, 250, 100, 75, 50}, {60, 25, 12, 5, 3}}};
const Table<double> kImpulse = {{{.01, .02, .03, .05, .07}, {.03, .06, .09, .17, .27}}};
const Table<std::array<double, 2>> kDefocus = {{{{{0.3, 0.4}, {0.4, 0.5}, {0.5, 0.6}, {1, 0.2}, {1.5, 0.1}}},
                                                 {{{3, 0.1}, {4, 0.5}, {6, 0.5}, {8, 0.5}, {10, 0.5}}}}};
const Table<std::array<double, 3>> kGlass = {{{{{0.05, 1, 1}, {0.25, 1, 1}, {0.4, 1, 1}, {0.25, 1, 2}, {0.4, 1, 2}}},
                                               {{{0.7, 1, 2}, {0.9, 2, 1}, {1, 2, 3}, {1.1, 3, 2}, {1.5, 4, 2}}}}};
const Table<std::array<double, 2>> kMotion = {{{{{6, 1}, {6, 1.5}, {6, 2}, {8, 2}, {9, 2.5}}},
                                                {{{10, 3}, {15, 5}, {15, 8}, {15, 12}, {20, 15}}}}};
// zoom_blur: (first, step, count) of the np.arange factors
const Table<std::array<double, 3>> kZoom = {{{{{1, .01, 7}, {1, .01, 12}, {1, .01, 16}, {1, .01, 21}, {1, .01, 26}}},
                                              {{{1, .01, 12}, {1, .01, 16}, {1, .02, 11}, {1, .02, 13}, {1, .03, 11}}}}};
const Table<std::array<double, 7>> kSnow = {
    {{{{0.1, 0.2, 1, 0.6, 8, 3, 0.95}, {0.1, 0.2, 1, 0.5, 10, 4, 0.9}, {0.15, 0.3, 1.75, 0.55, 10, 4, 0.9},
       {0.25, 0.3, 2.25, 0.6, 12, 6, 0.85}, {0.3, 0.3, 1.25, 0.65, 14, 12, 0.8}}},
     {{{0.1, 0.3, 3, 0.5, 10, 4, 0.8}, {0.2, 0.3, 2, 0.5, 12, 4, 0.7}, {0.55, 0.3, 4, 0.9, 12, 8, 0.7},
       {0.55, 0.3, 4.5, 0.85, 12, 8, 0.65}, {0.55, 0.3, 2.5, 0.85, 12, 12, 0.55}}}}};
const Table<std::array<double, 2>> kFrost = {{{{{1, 0.2}, {1, 0.3}, {0.9, 0.4}, {0.85, 0.4}, {0.75, 0.45}}},
                                               {{{1, 0.4}, {0.8, 0.6}, {0.7, 0.7}, {0.65, 0.7}, {0.6, 0.75}}}}};
const Table<std::array<double, 2>> kFog = {{{{{.2, 3}, {.5, 3}, {.75, 2.5}, {1, 2}, {1.5, 1.75}}},
                                             {{{1.5, 2}, {2, 2}, {2.5, 1.7}, {2.5, 1.5}, {3, 1.4}}}}};
const Table<double> kBright = {{{.05, .1, .15, .2, .3}, {.1, .2, .3, .4, .5}}};
const Table<double> kContrast = {{{.75, .5, .4, .3, .15}, {.4, .3, .2, .1, .05}}};
const Table<std::array<double, 3>> kElastic = {
    {{{{0, 0, 32 * 0.08}, {32 * 0.05, 32 * 0.2, 32 * 0.07}, {32 * 0.08, 32 * 0.06, 32 * 0.06},
       {32 * 0.1, 32 * 0.04, 32 * 0.05}, {32 * 0.1, 32 * 0.03, 32 * 0.03}}},
     {{{244 * 2, 244 * 0.7, 244 * 0.1}, {244 * 2, 244 * 0.08, 244 * 0.2}, {244 * 0.05, 244 * 0.01, 244 * 0.02},
       {244 * 0.07, 244 * 0.01, 244 * 0.02}, {244 * 0.12, 244 * 0.01, 244 * 0.02}}}}};
const Table<double> kPixelate = {{{.95, .9, .85, .75, .65}, {.6, .5, .4, .3, .25}}};
const Table<int> kJpeg = {{{80, 65, 58, 50, 40}, {25, 18, 15, 10, 7}}};

Image8 finish(const ImageF& x) { return ops::toU8Trunc(x, 1.0, 255.0); }   // clip(x,0,1)·255 → uint8

// Rounds an ImageMagick-style motion blur result of a 0–255 image to uint8 values (PNG round trip).
ImageF motionBlurU8(const ImageF& x255, int radius, double sigma, double angle) {
  ImageF o = ops::motionBlur(x255, radius, sigma, angle);
  for (double& v : o.d) v = std::min(std::max(std::nearbyint(v), 0.0), 255.0);
  return o;
}

Image8 zoomBlur(const Image8& img, const std::array<double, 3>& z) {
  ImageF x = ops::toFloat(img, 255.0);
  for (double& v : x.d) v = float(v);   // the reference works in float32
  std::vector<float> acc(x.d.size(), 0.f);
  const double delta = (z[0] + z[1]) - z[0];   // np.arange steps by (start + step) - start, not by step
  for (int k = 0; k < int(z[2]); ++k) {
    ImageF zz = ops::clippedZoom(x, z[0] + k * delta);
    for (size_t i = 0; i < acc.size(); ++i) acc[i] += float(zz.d[i]);
  }
  const float n = float(int(z[2]) + 1);
  for (size_t i = 0; i < acc.size(); ++i) x.d[i] = (float(x.d[i]) + acc[i]) / n;
  return finish(x);
}

Image8 glassBlur(const Image8& img, const std::array<double, 3>& p, Rng& rng) {
  const int delta = int(p[1]);
  ImageF x = ops::gaussianSk(ops::toFloat(img, 255.0), p[0], 4.0, false);
  Image8 u = ops::toU8Trunc(x, 1e30, 255.0);   // np.uint8(gaussian(x)·255), no clip in the reference
  for (int it = 0; it < int(p[2]); ++it)
    for (int h = img.h - delta; h > delta; --h)
      for (int w = img.w - delta; w > delta; --w) {
        const int dx = rng.randint(-delta, delta), dy = rng.randint(-delta, delta);
        std::memcpy(u.at(h, w), u.at(h + dy, w + dx), 3);   // NumPy view semantics: a copy, not a swap
      }
  return finish(ops::gaussianSk(ops::toFloat(u, 255.0), p[0], 4.0, false));
}

Image8 snow(const Image8& img, const std::array<double, 7>& c, Rng& rng) {
  ImageF x = ops::toFloat(img, 255.0);
  for (double& v : x.d) v = float(v);
  ImageF layer(img.h, img.w, 1);
  for (double& v : layer.d) v = c[0] + c[1] * rng.normal();
  layer = ops::clippedZoom(layer, c[2]);
  for (double& v : layer.d) {
    if (v < c[3]) v = 0;
    v = double(uint8_t(std::min(std::max(v, 0.0), 1.0) * 255));
  }
  layer = motionBlurU8(layer, int(c[4]), c[5], rng.uniform(-135, -45));
  const float blend = float(c[6]);
  for (int y = 0; y < img.h; ++y)
    for (int w = 0; w < img.w; ++w) {
      const float r = float(x.at(y, w, 0)), g = float(x.at(y, w, 1)), b = float(x.at(y, w, 2));
      const float gray = 0.299f * r + 0.587f * g + 0.114f * b;
      const double s = layer.at(y, w, 0) / 255.0 + layer.at(img.h - 1 - y, img.w - 1 - w, 0) / 255.0;
      for (int k = 0; k < 3; ++k) {
        const float v = float(x.at(y, w, k));
        const float mixed = blend * v + (1 - blend) * std::max(v, gray * 1.5f + 0.5f);
        x.at(y, w, k) = double(mixed) + s;
      }
    }
  return finish(x);
}

Image8 elastic(const Image8& img, const std::array<double, 3>& c, Rng& rng) {
  ImageF x = ops::toFloat(img, 255.0);
  for (double& v : x.d) v = float(v);
  const double cs0 = double(img.h / 2), cs1 = double(img.w / 2);
  const double sq = double(std::min(img.h, img.w) / 3);
  const double p1[6] = {cs0 + sq, cs1 + sq, cs0 + sq, cs1 - sq, cs0 - sq, cs1 - sq};
  double p2[6];
  for (int i = 0; i < 6; ++i) p2[i] = p1[i] + float(rng.uniform(-c[2], c[2]));
  double M[6];
  ops::affineFromPoints(p1, p2, M);
  x = ops::warpAffine(x, M);
  for (double& v : x.d) v = float(v);
  auto field = [&]() {
    ImageF f(img.h, img.w, 1);
    for (double& v : f.d) v = rng.uniform(-1, 1);
    f = ops::gaussianSk(f, c[1], 3.0, true);
    for (double& v : f.d) v = float(v * c[0]);
    return f;
  };
  ImageF dx = field();
  ImageF dy = field();
  ImageF o(img.h, img.w, 3);
  for (int y = 0; y < img.h; ++y)
    for (int w = 0; w < img.w; ++w)
      for (int k = 0; k < 3; ++k)
        o.at(y, w, k) = float(ops::bilinearReflect(x, y + dy.at(y, w, 0), w + dx.at(y, w, 0), k));
  return finish(o);
}

Image8 fog(const Image8& img, const std::array<double, 2>& c, CorruptionSet set, Rng& rng) {
  int mapsize = set == CorruptionSet::kCifar32 ? 32 : 256;
  while (mapsize < std::max(img.h, img.w)) mapsize *= 2;
  auto map = ops::plasmaFractal(mapsize, c[1], rng);
  ImageF x = ops::toFloat(img, 255.0);
  const double mx = *std::max_element(x.d.begin(), x.d.end());
  for (int y = 0; y < img.h; ++y)
    for (int w = 0; w < img.w; ++w)
      for (int k = 0; k < 3; ++k) {
        double v = x.at(y, w, k) + c[0] * map[size_t(y) * mapsize + w];
        x.at(y, w, k) = v * mx / (mx + c[0]);
      }
  return finish(x);
}

Result<Image8> frost(const Image8& img, const std::array<double, 2>& c, const FrostBank* bank, Rng& rng) {
  if (!bank || bank->images.size() < 5) return Status::InvalidArgument("frost: no frost images loaded (frost1–5)");
  const Image8& f = bank->images[rng.randint(0, 5)];
  if (f.h <= img.h || f.w <= img.w) return Status::InvalidArgument("frost: overlay smaller than the image");
  const int y0 = rng.randint(0, f.h - img.h), x0 = rng.randint(0, f.w - img.w);
  ImageF x(img.h, img.w, 3);
  for (int y = 0; y < img.h; ++y)
    for (int w = 0; w < img.w; ++w)
      for (int k = 0; k < 3; ++k) x.at(y, w, k) = c[0] * img.at(y, w)[k] + c[1] * f.at(y0 + y, x0 + w)[k];
  return ops::toU8Trunc(x, 255.0, 1.0);
}

Image8 brightness(const Image8& img, double c) {
  ImageF x = ops::toFloat(img, 255.0);
  for (size_t p = 0; p < x.d.size(); p += 3) {
    double* px = &x.d[p];
    const double v = std::max({px[0], px[1], px[2]});
    if (v <= 0) { px[0] = px[1] = px[2] = std::min(c, 1.0); continue; }
    const double s = std::min(v + c, 1.0) / v;
    for (int k = 0; k < 3; ++k) px[k] *= s;
  }
  return finish(x);
}

Image8 contrast(const Image8& img, double c) {
  ImageF x = ops::toFloat(img, 255.0);
  for (int k = 0; k < 3; ++k) {
    double m = 0;
    for (size_t p = k; p < x.d.size(); p += 3) m += x.d[p];
    m /= double(img.h) * img.w;
    for (size_t p = k; p < x.d.size(); p += 3) x.d[p] = (x.d[p] - m) * c + m;
  }
  return finish(x);
}

Result<Image8> jpeg(const Image8& img, int q) {
  ATELIER_ASSIGN_OR_RETURN(auto bytes, encodeJpeg(img, q));
  return decodeJpeg(bytes.data(), bytes.size(), "jpeg_compression round trip");
}
}  // namespace

const std::vector<std::string>& corruptionNames() { return kNames; }
const char* corruptionName(Corruption c) { return kNames[size_t(c)].c_str(); }
Result<Corruption> parseCorruption(const std::string& name) {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return Corruption(i);
  return Status::InvalidArgument("unknown corruption '" + name + "'");
}
bool corruptionIsRandom(Corruption c) {
  return !(c == Corruption::kDefocusBlur || c == Corruption::kZoomBlur || c == Corruption::kBrightness ||
           c == Corruption::kContrast || c == Corruption::kPixelate || c == Corruption::kJpegCompression);
}

uint64_t corruptionSeed(uint64_t base, Corruption c, int severity, int64_t index) {
  uint64_t z = base * 0x9E3779B97F4A7C15ull + uint64_t(c) * 1000003ull + uint64_t(severity) * 7919ull +
               uint64_t(index) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;   // splitmix64 finaliser
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

Result<Image8> corruptImage(const Image8& img, Corruption c, int severity, CorruptionSet set, uint64_t seed,
                            const FrostBank* frost_bank) {
  if (severity < 1 || severity > 5) return Status::InvalidArgument("corruption severity must be 1..5");
  if (img.c != 3 || img.h < 4 || img.w < 4) return Status::InvalidArgument("corruptImage: need an RGB image");
  const int si = int(set), s = severity - 1;
  Rng rng(seed);
  switch (c) {
    case Corruption::kGaussianNoise: {
      ImageF x = ops::toFloat(img, 255.0);
      for (double& v : x.d) v += kGauss[si][s] * rng.normal();
      return finish(x);
    }
    case Corruption::kShotNoise: {
      ImageF x = ops::toFloat(img, 255.0);
      const double k = kShot[si][s];
      for (double& v : x.d) v = double(rng.poisson(v * k)) / k;
      return finish(x);
    }
    case Corruption::kImpulseNoise: {
      ImageF x = ops::toFloat(img, 255.0);
      const double a = kImpulse[si][s];
      std::vector<uint8_t> flip(x.d.size());
      for (auto& f : flip) f = rng.uniform() <= a;
      for (size_t i = 0; i < x.d.size(); ++i) {
        const bool salt = rng.uniform() <= 0.5;
        if (flip[i]) x.d[i] = salt ? 1.0 : 0.0;
      }
      return finish(x);
    }
    case Corruption::kDefocusBlur: {
      int ks = 0;
      auto k = ops::diskKernel(kDefocus[si][s][0], kDefocus[si][s][1], &ks);
      return finish(ops::filter2D(ops::toFloat(img, 255.0), k, ks));
    }
    case Corruption::kGlassBlur: return glassBlur(img, kGlass[si][s], rng);
    case Corruption::kMotionBlur: {
      const double angle = rng.uniform(-45, 45);
      ImageF o = motionBlurU8(ops::toFloat(img, 1.0), int(kMotion[si][s][0]), kMotion[si][s][1], angle);
      return ops::toU8Trunc(o, 255.0, 1.0);
    }
    case Corruption::kZoomBlur: return zoomBlur(img, kZoom[si][s]);
    case Corruption::kSnow: return snow(img, kSnow[si][s], rng);
    case Corruption::kFrost: return frost(img, kFrost[si][s], frost_bank, rng);
    case Corruption::kFog: return fog(img, kFog[si][s], set, rng);
    case Corruption::kBrightness: return brightness(img, kBright[si][s]);
    case Corruption::kContrast: return contrast(img, kContrast[si][s]);
    case Corruption::kElasticTransform: return elastic(img, kElastic[si][s], rng);
    case Corruption::kPixelate: {
      const double f = kPixelate[si][s];
      Image8 small = ops::pillowBoxResize(img, int(img.w * f), int(img.h * f));
      return ops::pillowBoxResize(small, img.w, img.h);
    }
    case Corruption::kJpegCompression: return jpeg(img, kJpeg[si][s]);
  }
  return Status::InvalidArgument("unknown corruption");
}

Result<FrostBank> loadFrostBank(const std::string& dir, CorruptionSet set) {
  FrostBank bank;
  const char* files[5] = {"frost1.png", "frost2.png", "frost3.png", "frost4.jpg", "frost5.jpg"};
  for (const char* f : files) {
    ATELIER_ASSIGN_OR_RETURN(Image8 img, readImageFile(dir + "/" + f));
    if (set == CorruptionSet::kCifar32) {
      // cv2.resize(fx = fy = 0.2, INTER_LINEAR): the sample positions 5·d + 2 are integers -> plain subsampling.
      Image8 s;
      s.h = int(std::lround(img.h * 0.2)); s.w = int(std::lround(img.w * 0.2)); s.c = 3;
      s.data.resize(size_t(s.h) * s.w * 3);
      for (int y = 0; y < s.h; ++y)
        for (int x = 0; x < s.w; ++x)
          std::memcpy(s.at(y, x), img.at(std::min(5 * y + 2, img.h - 1), std::min(5 * x + 2, img.w - 1)), 3);
      img = std::move(s);
    }
    bank.images.push_back(std::move(img));
  }
  return bank;
}

Result<at::Tensor> corruptBatch(const at::Tensor& u8, const at::Tensor& indices, Corruption c, int severity,
                                CorruptionSet set, uint64_t base_seed, const FrostBank* frost_bank) {
  if (u8.dim() != 4 || u8.size(3) != 3 || u8.scalar_type() != at::kByte)
    return Status::InvalidArgument("corruptBatch: expected uint8 [N,H,W,3]");
  at::Tensor in = u8.contiguous();
  at::Tensor idx = indices.to(at::kLong).contiguous();
  at::Tensor out = torch::empty_like(in);
  const int64_t n = in.size(0), h = in.size(1), w = in.size(2), per = h * w * 3;
  std::vector<Status> errs(n);
  at::parallel_for(0, n, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      Image8 img;
      img.h = int(h); img.w = int(w); img.c = 3;
      img.data.assign(in.data_ptr<uint8_t>() + i * per, in.data_ptr<uint8_t>() + (i + 1) * per);
      auto r = corruptImage(img, c, severity, set, corruptionSeed(base_seed, c, severity, idx.data_ptr<int64_t>()[i]),
                            frost_bank);
      if (!r.ok()) { errs[i] = r.status(); continue; }
      std::memcpy(out.data_ptr<uint8_t>() + i * per, r->data.data(), size_t(per));
    }
  });
  for (auto& e : errs) ATELIER_RETURN_IF_ERROR(e);
  return out;
}

}  // namespace atelier::ctta
