// Tiled inference for scale-s image models: overlapping tiles, batched, blended with linear ramps at the seams.
// Adjacent tiles overlap by `overlap` input pixels; each tile drops a margin of (overlap - band)/2 on inner
// sides and the remaining `band` = overlap/4 pixels are cross-faded. Equal to whole-image inference when the
// model's receptive-field radius is ≤ (overlap - band)/2 input pixels (e.g. 6 for overlap 16).
// Thread-safety: stateless functions.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "atelier/status.h"

namespace atelier::sr {

struct TileOptions {
  int64_t tile = 256;     // tile side in input pixels (≤ 0: whole image in one call)
  int64_t overlap = 16;   // overlap between adjacent tiles in input pixels (must be < tile)
  int64_t batch = 4;      // tiles per model call
};

struct TileRect { int64_t y0 = 0, x0 = 0, h = 0, w = 0; };

// The model: [B,C,h,w] → [B,C',h·s,w·s] (any device; results are moved to the input's device).
using TileFn = std::function<at::Tensor(const at::Tensor&)>;
// Progress after each batch; return false to cancel (the call then returns Status::Cancelled).
using TileProgress = std::function<bool(int64_t done, int64_t total)>;

// Tile grid for an H×W image: equal-sized tiles, the last row/column aligned to the border.
std::vector<TileRect> tileGrid(int64_t h, int64_t w, const TileOptions& opt);
// Runs `fn` over `x` ([1,C,H,W]) tile by tile and returns the blended [1,C',H·s,W·s] float32 result.
Result<at::Tensor> runTiled(const TileFn& fn, const at::Tensor& x, int64_t scale, const TileOptions& opt,
                            const TileProgress& progress = {});

}  // namespace atelier::sr
