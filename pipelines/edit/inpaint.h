// Blended latent diffusion inpainting (editing-methods.md A7): pixel mask → binary latent mask; after every
// sampler step the unmasked latents are replaced by add_noise(z_src, ε_i, t) with fresh noise ε_i.
// Mask convention: 1 (white) = regenerate, 0 = keep the source.
#pragma once

#include <functional>

#include "edit/common.h"

namespace atelier::edit {

struct InpaintOptions {
  CommonOptions common;
  double blend_start = 0.25;        // fraction of the first steps skipped (BLD blending_start_percentage)
  bool noise_to_next = false;       // false: noise the source to the step just processed (BLD);
                                    // true: to the next step's timestep (clean source after the last step)
  // Observer for tests/GUI: step i, latents after blending, the ε_i used, the latent mask [1,1,h,w].
  std::function<void(int, const at::Tensor&, const at::Tensor&, const at::Tensor&)> observer;
};

// image [1,3,H,W] in [0,1]; mask [1,1,H,W] (any channel count; channel 0 used).
Result<EditOutput> runInpaint(EditModel& model, const at::Tensor& image, const at::Tensor& mask,
                              const InpaintOptions& opt, const RunContext* run = nullptr);

}  // namespace atelier::edit
