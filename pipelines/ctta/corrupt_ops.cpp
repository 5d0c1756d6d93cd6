// Filters and resamplers of the corruption port (each mirrors the library call of the reference code).
#include "ctta/corrupt_ops.h"

#include <algorithm>

namespace atelier::ctta::ops {

double Rng::normal() {   // Marsaglia polar method
  if (has_spare_) { has_spare_ = false; return spare_; }
  double u, v, s;
  do {
    u = uniform() * 2 - 1;
    v = uniform() * 2 - 1;
    s = u * u + v * v;
  } while (s >= 1 || s == 0);
  const double m = std::sqrt(-2.0 * std::log(s) / s);
  spare_ = v * m;
  has_spare_ = true;
  return u * m;
}

ImageF toFloat(const Image8& img, double scale) {
  ImageF x(img.h, img.w, img.c);
  for (size_t i = 0; i < x.d.size(); ++i) x.d[i] = double(img.data[i]) / scale;
  return x;
}

Image8 toU8Trunc(const ImageF& x, double hi, double mul) {
  Image8 o;
  o.h = x.h; o.w = x.w; o.c = x.c;
  o.data.resize(x.d.size());
  for (size_t i = 0; i < x.d.size(); ++i) {
    double v = std::min(std::max(x.d[i], 0.0), hi) * mul;
    o.data[i] = uint8_t(std::min(v, 255.0));
  }
  return o;
}

ImageF gaussianSk(const ImageF& x, double sigma, double truncate, bool reflect_mode) {
  if (sigma <= 1e-15) return x;
  const int r = int(truncate * sigma + 0.5);
  std::vector<double> k(2 * r + 1);
  double sum = 0;
  for (int i = -r; i <= r; ++i) sum += k[i + r] = std::exp(-0.5 / (sigma * sigma) * i * i);
  for (double& v : k) v /= sum;
  auto idx = [&](int i, int n) { return reflect_mode ? reflectHalf(i, n) : clampi(i, n); };
  ImageF t(x.h, x.w, x.c), o(x.h, x.w, x.c);
  for (int y = 0; y < x.h; ++y)        // axis 0 first (SciPy order)
    for (int xx = 0; xx < x.w; ++xx)
      for (int c = 0; c < x.c; ++c) {
        double s = 0;
        for (int i = -r; i <= r; ++i) s += k[i + r] * x.at(idx(y + i, x.h), xx, c);
        t.at(y, xx, c) = s;
      }
  for (int y = 0; y < x.h; ++y)
    for (int xx = 0; xx < x.w; ++xx)
      for (int c = 0; c < x.c; ++c) {
        double s = 0;
        for (int i = -r; i <= r; ++i) s += k[i + r] * t.at(y, idx(xx + i, x.w), c);
        o.at(y, xx, c) = s;
      }
  return o;
}

std::vector<float> cvGaussianKernel(int n, double sigma) {
  std::vector<double> cd(n);
  const double scale2 = -0.5 / (sigma * sigma);
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    const double x = i - (n - 1) * 0.5;
    sum += cd[i] = std::exp(scale2 * x * x);
  }
  std::vector<float> k(n);
  for (int i = 0; i < n; ++i) k[i] = float(cd[i] * (1.0 / sum));
  return k;
}

std::vector<float> diskKernel(double radius, double alias_blur, int* ksize_out) {
  const int L = radius <= 8 ? 8 : int(radius);
  const int blur_k = radius <= 8 ? 3 : 5;
  const int n = 2 * L + 1;
  std::vector<float> disk(n * n);
  float total = 0;
  for (int y = -L; y <= L; ++y)
    for (int x = -L; x <= L; ++x) total += disk[(y + L) * n + x + L] = (x * x + y * y <= radius * radius) ? 1.f : 0.f;
  for (float& v : disk) v /= total;
  // cv2.GaussianBlur(disk, (blur_k, blur_k), σ): separable, rows then columns, BORDER_REFLECT_101.
  auto g = cvGaussianKernel(blur_k, alias_blur);
  const int a = blur_k / 2;
  std::vector<float> tmp(n * n), out(n * n);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      float s = 0;
      for (int i = 0; i < blur_k; ++i) s += g[i] * disk[y * n + reflect101(x + i - a, n)];
      tmp[y * n + x] = s;
    }
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      float s = 0;
      for (int i = 0; i < blur_k; ++i) s += g[i] * tmp[reflect101(y + i - a, n) * n + x];
      out[y * n + x] = s;
    }
  *ksize_out = n;
  return out;
}

ImageF filter2D(const ImageF& x, const std::vector<float>& k, int ks) {
  ImageF o(x.h, x.w, x.c);
  const int a = ks / 2;
  for (int y = 0; y < x.h; ++y)
    for (int xx = 0; xx < x.w; ++xx)
      for (int c = 0; c < x.c; ++c) {
        double s = 0;
        for (int i = 0; i < ks; ++i) {
          const int yy = reflect101(y + i - a, x.h);
          for (int j = 0; j < ks; ++j) {
            const float kv = k[i * ks + j];
            if (kv != 0.f) s += double(kv) * x.at(yy, reflect101(xx + j - a, x.w), c);
          }
        }
        o.at(y, xx, c) = s;
      }
  return o;
}

ImageF clippedZoom(const ImageF& x, double z) {
  const int h = x.h;
  const int ch = int(std::ceil(h / z));
  const int top = (h - ch) / 2;
  const int n_out = int(std::nearbyint(ch * z));   // Python round (half to even)
  const double scale = n_out > 1 ? double(ch - 1) / double(n_out - 1) : 0.0;
  std::vector<int> i0(n_out);
  std::vector<double> f(n_out);
  for (int o = 0; o < n_out; ++o) {
    const double p = o * scale;
    i0[o] = std::min(int(std::floor(p)), ch - 1);
    f[o] = p - i0[o];
  }
  const int trim = (n_out - h) / 2;
  ImageF out(h, h, x.c);
  for (int oy = 0; oy < h; ++oy) {
    const int yo = oy + trim;
    const int y0 = i0[yo], y1 = std::min(y0 + 1, ch - 1);
    const double fy = f[yo];
    for (int ox = 0; ox < h; ++ox) {
      const int xo = ox + trim;
      const int x0 = i0[xo], x1 = std::min(x0 + 1, ch - 1);
      const double fx = f[xo];
      for (int c = 0; c < x.c; ++c) {
        auto v = [&](int yy, int xx) { return x.at(top + yy, top + xx, c); };
        const double a = v(y0, x0) * (1 - fx) + v(y0, x1) * fx;
        const double b = v(y1, x0) * (1 - fx) + v(y1, x1) * fx;
        out.at(oy, ox, c) = a * (1 - fy) + b * fy;
      }
    }
  }
  return out;
}

ImageF motionBlur(const ImageF& x, int radius, double sigma, double angle_deg) {
  const int width = 2 * radius + 1;
  std::vector<double> k(width);
  double sum = 0;
  for (int i = 0; i < width; ++i) sum += k[i] = std::exp(-double(i * i) / (2 * sigma * sigma));
  const double th = angle_deg * M_PI / 180.0;
  ImageF o(x.h, x.w, x.c);
  for (int i = 0; i < width; ++i) {
    const int ox = int(std::ceil(i * std::cos(th) - 0.5)), oy = int(std::ceil(i * std::sin(th) - 0.5));
    if (std::abs(oy) >= x.h || std::abs(ox) >= x.w) break;
    const double w = k[i] / sum;
    for (int y = 0; y < x.h; ++y)
      for (int xx = 0; xx < x.w; ++xx)
        for (int c = 0; c < x.c; ++c) o.at(y, xx, c) += w * x.at(clampi(y + oy, x.h), clampi(xx + ox, x.w), c);
  }
  return o;
}

namespace {
// Pillow precompute_coeffs + normalize_coeffs_8bpc for the BOX filter.
struct Coeffs { std::vector<int> xmin, xcnt; std::vector<int32_t> k; int ksize = 0; };
Coeffs boxCoeffs(int in_size, int out_size) {
  const double scale = double(in_size) / out_size;
  const double fscale = std::max(scale, 1.0);
  const double support = 0.5 * fscale;
  Coeffs c;
  c.ksize = int(std::ceil(support)) * 2 + 1;
  c.k.assign(size_t(out_size) * c.ksize, 0);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    int xmin = std::max(int(center - support + 0.5), 0);
    int xmax = std::min(int(center + support + 0.5), in_size) - xmin;
    std::vector<double> w(xmax);
    double ww = 0;
    for (int x = 0; x < xmax; ++x) {
      const double t = (x + xmin - center + 0.5) / fscale;
      ww += w[x] = (t > -0.5 && t <= 0.5) ? 1.0 : 0.0;
    }
    for (int x = 0; x < xmax; ++x) {
      const double v = ww != 0 ? w[x] / ww : 0;
      c.k[size_t(xx) * c.ksize + x] = v < 0 ? int32_t(-0.5 + v * (1 << 22)) : int32_t(0.5 + v * (1 << 22));
    }
    c.xmin.push_back(xmin);
    c.xcnt.push_back(xmax);
  }
  return c;
}
inline uint8_t clip8(int64_t ss) {
  ss >>= 22;
  return uint8_t(ss < 0 ? 0 : ss > 255 ? 255 : ss);
}
}  // namespace

Image8 pillowBoxResize(const Image8& in, int out_w, int out_h) {
  Image8 tmp = in;
  if (out_w != in.w) {
    auto cf = boxCoeffs(in.w, out_w);
    tmp.w = out_w;
    tmp.data.assign(size_t(out_w) * in.h * in.c, 0);
    for (int y = 0; y < in.h; ++y)
      for (int x = 0; x < out_w; ++x)
        for (int c = 0; c < in.c; ++c) {
          int64_t ss = 1 << 21;
          for (int i = 0; i < cf.xcnt[x]; ++i) ss += int64_t(in.at(y, cf.xmin[x] + i)[c]) * cf.k[size_t(x) * cf.ksize + i];
          tmp.at(y, x)[c] = clip8(ss);
        }
  }
  if (out_h == tmp.h) return tmp;
  auto cf = boxCoeffs(tmp.h, out_h);
  Image8 o;
  o.h = out_h; o.w = tmp.w; o.c = tmp.c;
  o.data.assign(size_t(o.w) * o.h * o.c, 0);
  for (int y = 0; y < out_h; ++y)
    for (int x = 0; x < o.w; ++x)
      for (int c = 0; c < o.c; ++c) {
        int64_t ss = 1 << 21;
        for (int i = 0; i < cf.xcnt[y]; ++i) ss += int64_t(tmp.at(cf.xmin[y] + i, x)[c]) * cf.k[size_t(y) * cf.ksize + i];
        o.at(y, x)[c] = clip8(ss);
      }
  return o;
}

double bilinearReflect(const ImageF& x, double y, double xx, int k) {
  const int y0 = int(std::floor(y)), x0 = int(std::floor(xx));
  const double fy = y - y0, fx = xx - x0;
  auto v = [&](int yy, int xi) { return x.at(reflectHalf(yy, x.h), reflectHalf(xi, x.w), k); };
  return (v(y0, x0) * (1 - fx) + v(y0, x0 + 1) * fx) * (1 - fy) + (v(y0 + 1, x0) * (1 - fx) + v(y0 + 1, x0 + 1) * fx) * fy;
}

ImageF warpAffine(const ImageF& x, const double M[6]) {
  // Invert the forward map (OpenCV does so without WARP_INVERSE_MAP).
  const double det = M[0] * M[4] - M[1] * M[3];
  const double d = det != 0 ? 1.0 / det : 0;
  const double a = M[4] * d, b = -M[1] * d, e = -M[3] * d, f = M[0] * d;
  const double c = -a * M[2] - b * M[5], g = -e * M[2] - f * M[5];
  ImageF o(x.h, x.w, x.c);
  for (int y = 0; y < x.h; ++y)
    for (int xx = 0; xx < x.w; ++xx) {
      const double sx = a * xx + b * y + c, sy = e * xx + f * y + g;
      const int x0 = int(std::floor(sx)), y0 = int(std::floor(sy));
      const double fx = sx - x0, fy = sy - y0;
      for (int k = 0; k < x.c; ++k) {
        auto v = [&](int yy, int xi) { return x.at(reflect101(yy, x.h), reflect101(xi, x.w), k); };
        o.at(y, xx, k) = (v(y0, x0) * (1 - fx) + v(y0, x0 + 1) * fx) * (1 - fy) +
                         (v(y0 + 1, x0) * (1 - fx) + v(y0 + 1, x0 + 1) * fx) * fy;
      }
    }
  return o;
}

void affineFromPoints(const double s[6], const double t[6], double M[6]) {
  // Solve [sx sy 1]·[a b c]ᵀ = tx (and ty) for the three points (Cramer's rule).
  const double det = s[0] * (s[3] - s[5]) - s[1] * (s[2] - s[4]) + (s[2] * s[5] - s[4] * s[3]);
  for (int r = 0; r < 2; ++r) {
    const double v0 = t[r], v1 = t[2 + r], v2 = t[4 + r];
    M[r * 3 + 0] = (v0 * (s[3] - s[5]) - s[1] * (v1 - v2) + (v1 * s[5] - v2 * s[3])) / det;
    M[r * 3 + 1] = (s[0] * (v1 - v2) - v0 * (s[2] - s[4]) + (s[2] * v2 - s[4] * v1)) / det;
    M[r * 3 + 2] = (s[0] * (s[3] * v2 - s[5] * v1) - s[1] * (s[2] * v2 - s[4] * v1) + v0 * (s[2] * s[5] - s[4] * s[3])) / det;
  }
}

std::vector<double> plasmaFractal(int n, double decay, Rng& rng) {
  std::vector<double> m(size_t(n) * n, 0.0);
  auto M = [&](int y, int x) -> double& { return m[size_t(y) * n + x]; };
  int s = n;
  double wibble = 100;
  auto noisy = [&](double sum4) { return sum4 / 4 + wibble * rng.uniform(-wibble, wibble); };
  while (s >= 2) {
    const int g = n / s, h = s / 2;
    std::vector<double> val(size_t(g) * g);
    // squares
    for (int i = 0; i < g; ++i)
      for (int j = 0; j < g; ++j)
        val[i * g + j] = M(i * s, j * s) + M(((i + 1) % g) * s, j * s) + M(i * s, ((j + 1) % g) * s) +
                         M(((i + 1) % g) * s, ((j + 1) % g) * s);
    for (int i = 0; i < g; ++i)
      for (int j = 0; j < g; ++j) M(h + i * s, h + j * s) = noisy(val[i * g + j]);
    // diamonds: (i·s, h + j·s) then (h + i·s, j·s)
    auto dr = [&](int i, int j) { return M(h + ((i + g) % g) * s, h + ((j + g) % g) * s); };
    auto ul = [&](int i, int j) { return M(((i + g) % g) * s, ((j + g) % g) * s); };
    std::vector<double> lt(size_t(g) * g), tt(size_t(g) * g);
    for (int i = 0; i < g; ++i)
      for (int j = 0; j < g; ++j) {
        lt[i * g + j] = dr(i, j) + dr(i - 1, j) + ul(i, j) + ul(i, j + 1);
        tt[i * g + j] = dr(i, j) + dr(i, j - 1) + ul(i, j) + ul(i + 1, j);
      }
    for (int i = 0; i < g; ++i)
      for (int j = 0; j < g; ++j) M(i * s, h + j * s) = noisy(lt[i * g + j]);
    for (int i = 0; i < g; ++i)
      for (int j = 0; j < g; ++j) M(h + i * s, j * s) = noisy(tt[i * g + j]);
    s /= 2;
    wibble /= decay;
  }
  const double mn = *std::min_element(m.begin(), m.end());
  for (double& v : m) v -= mn;
  const double mx = *std::max_element(m.begin(), m.end());
  for (double& v : m) v = mx > 0 ? v / mx : 0;
  return m;
}

}  // namespace atelier::ctta::ops
