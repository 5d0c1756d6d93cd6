// Composition layout: {"width":W,"height":H,"prompt":GLOBAL,"negative_prompt":N?,
//  "regions":[{"box":[x0,y0,x1,y1],"prompt":P,"image":OPTIONAL_PATH}]} (pixels, x1/y1 exclusive).
// Sizes and boxes are snapped to multiples of 8 (the latent grid). Thread-safety: plain values.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "atelier/status.h"

namespace atelier::edit {

struct LayoutRegion {
  int64_t x0 = 0, y0 = 0, x1 = 0, y1 = 0;   // pixels, multiples of 8, x1/y1 exclusive
  std::string prompt;
  std::string image_path;                   // "" = no reference (as written in the JSON)
  at::Tensor image;                         // reference [1,3,h,w] in [0,1], loaded by the caller (CLI/GUI)
};

struct Layout {
  int64_t width = 0, height = 0;            // pixels, multiples of 8
  std::string prompt;                       // global prompt (harmony; tokens outside every region)
  std::string negative;                     // optional "negative_prompt"
  std::vector<LayoutRegion> regions;        // later regions win where boxes overlap
};

// Parses and validates layout JSON; `label` (file name) prefixes errors.
Result<Layout> parseLayout(const std::string& json_text, const std::string& label);
// Group of each token of an h×w grid over the canvas: 0 = outside all regions, r+1 = region r (last wins).
// Token (y,x) belongs to a box when its cell centre lies inside it. Returns [h·w] int64.
at::Tensor regionGroups(const Layout& layout, int64_t h, int64_t w);

}  // namespace atelier::edit
