// Text-to-image sampling loop (diffusers StableDiffusionPipeline semantics, sd-engine.md §8): batched CFG
// [uncond, cond], guidance_rescale, seeded CPU noise or given initial latents × init_noise_sigma, per-step
// callback (StepInfo, latents, x̂0) that may cancel, VAE decode and clamp(x/2+0.5).
// Thread-safety: uses the model's modules; one call at a time per SdModel.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "atelier/status.h"
#include "sd/attention_hook.h"
#include "sd/model_folder.h"
#include "sd/scheduler.h"

namespace atelier::sd {

struct Txt2ImgRequest {
  std::string prompt, negative_prompt;
  int steps = 20;
  double cfg_scale = 7.5;           // CFG active when > 1
  double guidance_rescale = 0.0;    // φ in [0,1] (0: off)
  int64_t seed = 0;                 // CPU randn(manual_seed(seed)) when init_latents is undefined
  int64_t width = 0, height = 0;    // 0 → UNet sample_size × model.vae_scale_factor
  int64_t batch = 1;
  int clip_skip = 1;                // 1: last layer; 2: penultimate + final LN (A1111 "Clip skip")
  at::Tensor init_latents;          // optional [B,4,H/f,W/f] (f = vae_scale_factor); × init_noise_sigma
  bool decode = true;               // false: latents only
};

struct Txt2ImgResult {
  at::Tensor latents;               // [B,4,h,w] fp32 CPU, final x before / scaling_factor
  at::Tensor image;                 // [B,3,H,W] fp32 CPU in [0,1] (undefined when !decode)
  std::vector<double> timesteps;
};

// Runs the sampler. `callback` is called after every scheduler step; returning false cancels
// (Status::Cancelled). REQUIRES: model has unet, text encoder (and vae when decode).
Result<Txt2ImgResult> txt2img(SdModel& model, Scheduler& scheduler, const Txt2ImgRequest& req,
                              const StepCallback& callback = {});

// Prompt embeddings [B,77,C] in the model dtype/device (no attention mask, as diffusers).
at::Tensor encodePrompts(SdModel& model, const std::vector<std::string>& prompts, int clip_skip = 1);
// Latents [B,4,h,w] (scaled) → image [B,3,H,W] in [0,1] on CPU fp32.
at::Tensor decodeLatents(SdModel& model, const at::Tensor& latents);
// Cheap preview: SD 1.5 latent→RGB linear projection, [B,4,h,w] → [B,3,h,w] in [0,1] (CPU fp32).
at::Tensor latentPreview(const at::Tensor& latents);
// Initial noise [B,4,h,w] fp32 CPU from torch.manual_seed(seed); torch.randn(shape).
at::Tensor seededNoise(int64_t seed, at::IntArrayRef shape);

}  // namespace atelier::sd
