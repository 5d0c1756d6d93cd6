// Layout-aware multi-image composition: the LAMIC idea (arXiv 2508.00477) realised on an SD UNet.
// See README.md "Composition" for what is and is not reproduced.
#pragma once

#include "edit/common.h"
#include "edit/layout.h"

namespace atelier::edit {

struct ComposeOptions {
  std::string sampler;              // "" = the model folder's default
  int steps = 20;
  double guidance = 7.5;
  int64_t seed = 0;
  bool region_sees_global = false;  // region tokens also attend to the global prompt (softer borders)
  double ref_share = 1.0;           // fraction of steps (from the start) with reference K/V sharing
  sd::AttentionHook* extra_hook = nullptr;   // chained after the regional hook (tests, attention viewers)
};

// Output image [1,3,H,W] of the layout's size. Regions with `image` set get a reference branch: the image is
// resized into its box on a grey canvas, encoded and DDIM-inverted under the region prompt (add_noise with fixed
// noise for non-DDIM samplers), and its self-attention K/V are shared inside the box.
Result<EditOutput> runCompose(EditModel& model, const Layout& layout, const ComposeOptions& opt,
                              const RunContext* run = nullptr);

}  // namespace atelier::edit
