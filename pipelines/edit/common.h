// Shared option/result types and small helpers of the editing methods.
// Thread-safety: plain values and pure functions.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "atelier/stage.h"
#include "edit/engine.h"

namespace atelier::edit {

struct CommonOptions {
  std::string prompt;               // target prompt
  std::string negative;             // negative prompt ("" = unconditional)
  std::string sampler;              // "" = the model folder's default
  int steps = 20;
  double guidance = 7.5;            // CFG scale
  int64_t seed = 0;
};

struct EditOutput {
  at::Tensor image;                 // [1,3,H,W] in [0,1], CPU
  at::Tensor latents;               // final latents of the output branch [1,4,h,w]
  at::Tensor source_image;          // source branch / reconstruction when the method has one (else undefined)
  at::Tensor source_latents;        // final latents of the source branch (else undefined)
  at::Tensor start_latents;         // latents the sampling loop started from (e.g. inverted z_T)
  std::string sampler;              // sampler actually used
};

// Pixel mask [1,1,H,W] (or [1,C,H,W], channel 0) in [0,1] → binary latent mask [1,1,h,w] (nearest, > 0.5).
at::Tensor latentMask(const at::Tensor& mask, int64_t h, int64_t w);
// Checks an input image: [1,3,H,W] float, H and W multiples of 8. `what` names it in errors.
Status checkImage(const at::Tensor& image, const std::string& what);
// Context for one prompt [1,L,C] (errors carry the prompt).
Result<at::Tensor> encodeOne(EditModel& model, const std::string& prompt);
// Decodes latents [1,4,h,w] to an image on CPU [1,3,H,W] in [0,1].
Result<at::Tensor> decodeOne(EditModel& model, const at::Tensor& latents);
// Fresh N(0,1) noise shaped like `like` from a CPU generator seeded with `seed` (then moved to like's device).
at::Tensor seededNoise(int64_t seed, const at::Tensor& like);

// Output of a two-branch edit: latents [2,4,h,w] = [source, target] → both decoded; start = the shared z_T.
Result<EditOutput> sourceTargetOutput(EditModel& model, const std::string& sampler, const at::Tensor& start,
                                      const at::Tensor& latents);

}  // namespace atelier::edit
