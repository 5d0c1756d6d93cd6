// SDEdit / img2img (editing-methods.md A1): encode, noise to `strength`, denoise the last
// min(int(strength·N), N) steps with the chosen sampler (diffusers' get_timesteps + set_begin_index).
#pragma once

#include "edit/common.h"

namespace atelier::edit {

struct SdEditOptions {
  CommonOptions common;
  double strength = 0.8;   // 0 = VAE round trip (no UNet call), 1 = from pure noise
};

// First step index run for `strength` over `steps` steps: N − min(int(N·strength), N).
int sdeditBeginIndex(int steps, double strength);

// image: [1,3,H,W] in [0,1]. hook (optional) sees every UNet call.
Result<EditOutput> runSdEdit(EditModel& model, const at::Tensor& image, const SdEditOptions& opt,
                             const RunContext* run = nullptr, sd::AttentionHook* hook = nullptr);

}  // namespace atelier::edit
