// Internal helpers of the corruption port: float images, the RNG, and the filters/resamplers the reference uses.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "ctta/image_codec.h"

namespace atelier::ctta::ops {

struct ImageF {                       // HWC doubles
  int h = 0, w = 0, c = 3;
  std::vector<double> d;
  ImageF() = default;
  ImageF(int h_, int w_, int c_, double v = 0) : h(h_), w(w_), c(c_), d(size_t(h_) * w_ * c_, v) {}
  double& at(int y, int x, int k) { return d[(size_t(y) * w + x) * c + k]; }
  double at(int y, int x, int k) const { return d[(size_t(y) * w + x) * c + k]; }
};

// Deterministic RNG: mt19937_64 with hand-written uniform/normal (portable), libstdc++ Poisson.
class Rng {
 public:
  explicit Rng(uint64_t seed) : g_(seed) {}
  double uniform() { return double(g_() >> 11) * (1.0 / 9007199254740992.0); }   // [0,1)
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  int randint(int a, int b) { return a + int(g_() % uint64_t(b - a)); }           // [a,b)
  double normal();
  int64_t poisson(double lam) { return lam <= 0 ? 0 : std::poisson_distribution<int64_t>(lam)(g_); }

 private:
  std::mt19937_64 g_;
  bool has_spare_ = false;
  double spare_ = 0;
};

ImageF toFloat(const Image8& img, double scale);     // v / scale (scale 255 → [0,1]; 1 → 0–255)
// clip(x, 0, hi)·mul then truncation to uint8 (the reference's np.uint8 of a float).
Image8 toU8Trunc(const ImageF& x, double hi, double mul);

inline int reflect101(int i, int n) {                 // OpenCV BORDER_REFLECT_101
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
  return i;
}
inline int reflectHalf(int i, int n) {                // SciPy 'reflect' / OpenCV BORDER_REFLECT
  while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - 1 - i;
  return i;
}
inline int clampi(int i, int n) { return i < 0 ? 0 : (i >= n ? n - 1 : i); }

// scipy.ndimage/skimage gaussian per channel: radius int(truncate·σ+0.5); mode 'nearest' or 'reflect'.
ImageF gaussianSk(const ImageF& x, double sigma, double truncate, bool reflect_mode);
// OpenCV getGaussianKernel(n, σ) (σ > 0), float32 values.
std::vector<float> cvGaussianKernel(int n, double sigma);
// Defocus disk kernel (disk(r, a) of the reference), float32 values, size k×k.
std::vector<float> diskKernel(double radius, double alias_blur, int* ksize);
// cv2.filter2D per channel (correlation, centred anchor, BORDER_REFLECT_101).
ImageF filter2D(const ImageF& x, const std::vector<float>& k, int ksize);
// clipped_zoom of the reference (square crop, SciPy order-1 zoom with corner-aligned mapping, centre trim).
ImageF clippedZoom(const ImageF& x, double z);
// Shift-and-add motion blur (bethgelab port of ImageMagick): x in 0–255, edge replication; no rounding.
ImageF motionBlur(const ImageF& x, int radius, double sigma, double angle_deg);
// Pillow BOX resize of a uint8 image (horizontal pass then vertical, both rounded, 22-bit fixed point).
Image8 pillowBoxResize(const Image8& in, int out_w, int out_h);
// Bilinear sample at (y, x) with SciPy 'reflect' boundary (map_coordinates order=1).
double bilinearReflect(const ImageF& x, double y, double xx, int k);
// cv2.warpAffine(M 2×3 forward map, INTER_LINEAR, BORDER_REFLECT_101), exact bilinear weights.
ImageF warpAffine(const ImageF& x, const double M[6]);
// cv2.getAffineTransform from three point pairs (x, y).
void affineFromPoints(const double src[6], const double dst[6], double M[6]);
// plasma_fractal(mapsize, wibbledecay) of the reference, values in [0,1], row-major mapsize².
std::vector<double> plasmaFractal(int mapsize, double wibbledecay, Rng& rng);

}  // namespace atelier::ctta::ops
