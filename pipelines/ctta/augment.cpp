// CoTTA test-time augmentation on LibTorch tensors (torchvision functional-tensor semantics).
#include "ctta/augment.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace atelier::ctta {
namespace F = torch::nn::functional;

namespace {
at::Tensor grey(const at::Tensor& x) {   // [B,3,H,W] -> [B,1,H,W]
  return (0.2989 * x.select(1, 0) + 0.587 * x.select(1, 1) + 0.114 * x.select(1, 2)).unsqueeze(1);
}

at::Tensor rgbToHsv(const at::Tensor& img) {   // torchvision _rgb2hsv
  auto r = img.select(1, 0), g = img.select(1, 1), b = img.select(1, 2);
  auto maxc = std::get<0>(img.max(1)), minc = std::get<0>(img.min(1));
  auto eqc = maxc.eq(minc);
  auto cr = maxc - minc;
  auto ones = torch::ones_like(maxc);
  auto s = cr / torch::where(eqc, ones, maxc);
  auto cr_div = torch::where(eqc, ones, cr);
  auto rc = (maxc - r) / cr_div, gc = (maxc - g) / cr_div, bc = (maxc - b) / cr_div;
  auto hr = maxc.eq(r).to(img.dtype()) * (bc - gc);
  auto hg = (maxc.eq(g) & maxc.ne(r)).to(img.dtype()) * (2.0 + rc - bc);
  auto hb = (maxc.ne(g) & maxc.ne(r)).to(img.dtype()) * (4.0 + gc - rc);
  auto h = torch::fmod((hr + hg + hb) / 6.0 + 1.0, 1.0);
  return torch::stack({h, s, maxc}, 1);
}

at::Tensor hsvToRgb(const at::Tensor& img) {   // torchvision _hsv2rgb
  auto h = img.select(1, 0), s = img.select(1, 1), v = img.select(1, 2);
  auto i = torch::floor(h * 6.0);
  auto f = h * 6.0 - i;
  i = i.to(torch::kInt32);
  auto p = torch::clamp(v * (1.0 - s), 0.0, 1.0);
  auto q = torch::clamp(v * (1.0 - s * f), 0.0, 1.0);
  auto t = torch::clamp(v * (1.0 - s * (1.0 - f)), 0.0, 1.0);
  i = torch::remainder(i, 6);
  auto mask = i.unsqueeze(1).eq(torch::arange(6, i.options()).view({1, -1, 1, 1}));   // [B,6,H,W]
  auto a1 = torch::stack({v, q, p, p, t, v}, 1), a2 = torch::stack({t, v, v, q, p, p}, 1),
       a3 = torch::stack({p, p, t, v, v, q}, 1);
  auto a4 = torch::stack({a1, a2, a3}, 1);   // [B,3,6,H,W]
  return (mask.unsqueeze(1).to(img.dtype()) * a4).sum(2);
}
}  // namespace

at::Tensor TtaAugment::operator()(const at::Tensor& x_in) {
  // x_in: [B,3,n,n] in [0,1]
  const int64_t n = x_in.size(2), w = x_in.size(3);
  at::Tensor x = x_in.clamp(0, 1);
  // 1. ColorJitterPro: the five ops in a random order.
  std::vector<int> order(5);
  std::iota(order.begin(), order.end(), 0);
  for (int i = 4; i > 0; --i) std::swap(order[i], order[int(rng_() % uint64_t(i + 1))]);
  const double fb = uni(0.6, 1.4), fc = uni(0.7, 1.3), fs = uni(0.5, 1.5), fh = uni(-0.06, 0.06), fg = uni(0.7, 1.3);
  for (int op : order) {
    switch (op) {
      case 0: x = (x * fb).clamp(0, 1); break;
      case 1: x = (fc * x + (1 - fc) * grey(x).mean({1, 2, 3}, true)).clamp(0, 1); break;
      case 2: x = (fs * x + (1 - fs) * grey(x)).clamp(0, 1); break;
      case 3: {
        auto hsv = rgbToHsv(x);
        auto h = torch::remainder(hsv.select(1, 0) + fh, 1.0);
        x = hsvToRgb(torch::stack({h, hsv.select(1, 1), hsv.select(1, 2)}, 1));
        break;
      }
      default: x = x.clamp(1e-8, 1).pow(fg).clamp(0, 1); break;
    }
  }
  // 2. Edge pad n/2 -> 2n, random affine about the centre (bilinear, fill 0).
  x = F::pad(x, F::PadFuncOptions({w / 2, w / 2, n / 2, n / 2}).mode(torch::kReplicate));
  const int64_t H = x.size(2), W = x.size(3);
  const double angle = uni(-15, 15), scale = uni(0.9, 1.1);
  const double tx = std::nearbyint(uni(-W / 16.0, W / 16.0)), ty = std::nearbyint(uni(-H / 16.0, H / 16.0));
  const double rot = angle * M_PI / 180.0;
  double m[6] = {std::cos(rot) / scale, std::sin(rot) / scale, 0, -std::sin(rot) / scale, std::cos(rot) / scale, 0};
  m[2] += m[0] * (-tx) + m[1] * (-ty);
  m[5] += m[3] * (-tx) + m[4] * (-ty);
  auto opts = x.options();
  auto xs = torch::linspace(-W * 0.5 + 0.5, W * 0.5 - 0.5, W, opts), ys = torch::linspace(-H * 0.5 + 0.5, H * 0.5 - 0.5, H, opts);
  auto gy = ys.view({H, 1}).expand({H, W}), gx = xs.view({1, W}).expand({H, W});
  auto sx = (m[0] * gx + m[1] * gy + m[2]) / (0.5 * W), sy = (m[3] * gx + m[4] * gy + m[5]) / (0.5 * H);
  auto grid = torch::stack({sx, sy}, -1).unsqueeze(0).expand({x.size(0), H, W, 2});
  x = F::grid_sample(x, grid, F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false));
  // 3. Gaussian blur, kernel 5, σ ~ U[0.001, 0.5], reflect padding.
  const double sigma = uni(0.001, 0.5);
  auto k1 = torch::exp(-0.5 * torch::pow(torch::linspace(-2, 2, 5, opts) / sigma, 2));
  k1 = k1 / k1.sum();
  auto k2 = (k1.view({5, 1}) * k1.view({1, 5})).expand({3, 1, 5, 5});
  x = F::conv2d(F::pad(x, F::PadFuncOptions({2, 2, 2, 2}).mode(torch::kReflect)), k2, F::Conv2dFuncOptions().groups(3));
  // 4. Centre crop n, flip coin, additive noise, clip.
  x = x.slice(2, n / 2, n / 2 + n).slice(3, w / 2, w / 2 + w);
  if (uni(0, 1) < 0.5) x = x.flip({3});
  x = x + torch::randn_like(x) * 0.005;
  return x.clamp(0, 1);
}

}  // namespace atelier::ctta
