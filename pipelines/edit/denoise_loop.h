// The sampling loop every editing method shares: classifier-free guidance over a caller-provided batch of
// latents and per-branch conditioning, an attention hook, and per-step callbacks (blend, reference reset).
// Equals the txt2img loop of sd-engine.md §8 for one branch with the same inputs.
// Thread-safety: runner thread only.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <vector>

#include "atelier/stage.h"
#include "edit/engine.h"

namespace atelier::edit {

using LatentCallback = std::function<void(int step, at::Tensor& latents)>;

struct DenoiseSpec {
  at::Tensor latents;                        // [n,4,h,w] latents entering step `begin`
  at::Tensor cond;                           // [n,L,C] conditional context per branch
  at::Tensor uncond;                         // [n,L,C] unconditional context (used when guidance > 1)
  std::vector<at::Tensor> uncond_per_step;   // optional, one [n,L,C] per step index (null-text); overrides uncond
  double guidance = 7.5;                     // CFG scale; ≤ 1 runs the cond branch only (as diffusers)
  int begin = 0;                             // first step index (img2img / blending start)
  int end = -1;                              // one past the last step index (-1: numSteps())
  sd::AttentionHook* hook = nullptr;         // may be null
  LatentCallback before_step;                // may overwrite latents before the UNet call at step i
  LatentCallback after_step;                 // sees the latents after sampler.step at step i (blending)
  const RunContext* run = nullptr;           // progress and cancellation (may be null)
};

// CFG-combined model output at step i for latents x [n,4,h,w]: UNet on [uncond…, cond…] when guidance > 1.
at::Tensor guidedOutput(EditModel& model, Sampler& sampler, const at::Tensor& x, int i, const at::Tensor& cond,
                        const at::Tensor& uncond, double guidance, sd::AttentionHook* hook);

// Runs steps [begin, end) and returns the final latents. Cancelled → Status::Cancelled.
Result<at::Tensor> denoise(EditModel& model, Sampler& sampler, const DenoiseSpec& spec);

// StepInfo for step i of `sampler` (what hooks see).
sd::StepInfo stepInfo(const Sampler& sampler, int i);

}  // namespace atelier::edit
