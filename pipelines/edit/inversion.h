// DDIM inversion (sd-engine.md §7, editing-methods.md A2) and null-text inversion (A3).
// Thread-safety: runner thread only.
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

#include "atelier/stage.h"
#include "edit/engine.h"

namespace atelier::edit {

// Inverts clean latents z0 [n,4,h,w] under `cond` [n,L,C] with guidance 1 through the steps N-1 … `begin` of
// `ddim` (begin 0: to z_T; begin > 0: partial inversion, as deep as SDEdit with that begin index).
// Returns N+1 latents: traj[i] = latent entering sampling step i (undefined for i < begin), traj[N] = z0.
// REQUIRES: ddim.invertStep is supported (a DDIM sampler).
Result<std::vector<at::Tensor>> ddimInvert(EditModel& model, Sampler& ddim, const at::Tensor& z0,
                                           const at::Tensor& cond, const RunContext* run = nullptr, int begin = 0);

struct NullTextOptions {
  double guidance = 7.5;      // CFG scale the optimised embeddings are made for
  int inner_steps = 10;       // Adam iterations per step (paper: 10)
  double lr = 1e-2;           // Adam learning rate at step 0, decays as lr·(1 − i/100)
  double early_stop = 1e-5;   // stop when loss < early_stop + i·2e-5
};

struct NullTextResult {
  std::vector<at::Tensor> uncond;       // one [1,L,C] unconditional embedding per step
  std::vector<double> loss_first;       // loss before the first Adam step, per step
  std::vector<double> loss_last;        // loss after the inner loop, per step
};

// Optimises one unconditional embedding per step so that CFG sampling from traj[0] retraces `traj`
// (Mokady et al.). cond/uncond_init: [1,L,C]. REQUIRES: ddim.statelessStep().
Result<NullTextResult> nullTextInvert(EditModel& model, Sampler& ddim, const std::vector<at::Tensor>& traj,
                                      const at::Tensor& cond, const at::Tensor& uncond_init,
                                      const NullTextOptions& opt, const RunContext* run = nullptr);

}  // namespace atelier::edit
