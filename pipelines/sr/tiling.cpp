// Tile grid, seam weights and the batched tile loop.
#include "sr/tiling.h"

#include <ATen/ATen.h>

#include <string>

namespace atelier::sr {
namespace {

// Start positions of equal tiles of length `t` covering [0, n) with at least `overlap` shared pixels.
std::vector<int64_t> starts1d(int64_t n, int64_t t, int64_t overlap) {
  if (t >= n) return {0};
  std::vector<int64_t> s;
  const int64_t step = t - overlap;
  for (int64_t p = 0; p + t < n; p += step) s.push_back(p);
  s.push_back(n - t);
  return s;
}

// Seam weights (length len·scale) of a tile at [p, p+len) in [0, n): 0 over the dropped margin, a linear ramp over
// the cross-fade band, 1 elsewhere; sides on the image border keep weight 1.
at::Tensor ramp1d(int64_t p, int64_t len, int64_t n, int64_t overlap, int64_t scale) {
  const int64_t band = overlap / 4, margin = (overlap - band) / 2;
  const int64_t m = margin * scale, b = band * scale, out = len * scale;
  std::vector<float> w(out, 1.0f);
  auto edge = [&](int64_t k) -> float {      // k: distance in output pixels from the inner edge
    if (k < m) return 0.0f;
    if (k < m + b) return (static_cast<float>(k - m) + 0.5f) / static_cast<float>(b);
    return 1.0f;
  };
  for (int64_t k = 0; k < out; ++k) {
    if (p > 0) w[k] = std::min(w[k], edge(k));
    if (p + len < n) w[k] = std::min(w[k], edge(out - 1 - k));
  }
  return at::from_blob(w.data(), {out}, at::kFloat).clone();
}

}  // namespace

std::vector<TileRect> tileGrid(int64_t h, int64_t w, const TileOptions& opt) {
  const int64_t th = opt.tile > 0 ? std::min(opt.tile, h) : h, tw = opt.tile > 0 ? std::min(opt.tile, w) : w;
  std::vector<TileRect> grid;
  for (int64_t y : starts1d(h, th, opt.overlap)) {
    for (int64_t x : starts1d(w, tw, opt.overlap)) grid.push_back({y, x, th, tw});
  }
  return grid;
}

Result<at::Tensor> runTiled(const TileFn& fn, const at::Tensor& x, int64_t scale, const TileOptions& opt,
                            const TileProgress& progress) {
  if (x.dim() != 4 || x.size(0) != 1) { return Status::InvalidArgument("runTiled: expected a [1,C,H,W] tensor"); }
  if (opt.tile > 0 && (opt.overlap < 0 || opt.overlap >= opt.tile)) {
    return Status::InvalidArgument("tile overlap " + std::to_string(opt.overlap) + " must be in [0, tile=" +
                                   std::to_string(opt.tile) + ")");
  }
  const int64_t h = x.size(2), w = x.size(3), s = scale;
  const std::vector<TileRect> grid = tileGrid(h, w, opt);
  const int64_t total = static_cast<int64_t>(grid.size()), batch = std::max<int64_t>(1, opt.batch);
  at::Tensor out, wsum = at::zeros({1, 1, h * s, w * s}, x.options().dtype(at::kFloat));
  for (int64_t i0 = 0; i0 < total; i0 += batch) {
    const int64_t i1 = std::min(total, i0 + batch);
    std::vector<at::Tensor> tiles;
    for (int64_t i = i0; i < i1; ++i) {
      const TileRect& r = grid[i];
      tiles.push_back(x.slice(2, r.y0, r.y0 + r.h).slice(3, r.x0, r.x0 + r.w));
    }
    at::Tensor y = fn(at::cat(tiles, 0)).to(x.device(), at::kFloat);
    if (y.dim() != 4 || y.size(2) != grid[i0].h * s || y.size(3) != grid[i0].w * s) {
      return Status::Internal("runTiled: the model returned a tile of the wrong size");
    }
    if (!out.defined()) out = at::zeros({1, y.size(1), h * s, w * s}, x.options().dtype(at::kFloat));
    for (int64_t i = i0; i < i1; ++i) {
      const TileRect& r = grid[i];
      at::Tensor wy = ramp1d(r.y0, r.h, h, opt.overlap, s).to(x.device()).view({1, 1, -1, 1});
      at::Tensor wx = ramp1d(r.x0, r.w, w, opt.overlap, s).to(x.device()).view({1, 1, 1, -1});
      at::Tensor wt = wy * wx;
      out.slice(2, r.y0 * s, (r.y0 + r.h) * s).slice(3, r.x0 * s, (r.x0 + r.w) * s).add_(y.slice(0, i - i0, i - i0 + 1) * wt);
      wsum.slice(2, r.y0 * s, (r.y0 + r.h) * s).slice(3, r.x0 * s, (r.x0 + r.w) * s).add_(wt);
    }
    if (progress && !progress(i1, total)) return Status::Cancelled("upscale cancelled");
  }
  return out.div_(wsum);
}

}  // namespace atelier::sr
