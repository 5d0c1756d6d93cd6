// Prompt-to-Prompt editing (editing-methods.md A4) of a real image (DDIM inversion with guidance 1, optional
// null-text inversion) or of a generated one (no input image: both branches start from the seed's noise).
#pragma once

#include "edit/common.h"

namespace atelier::edit {

struct P2POptions {
  CommonOptions common;            // common.prompt = target prompt
  std::string source_prompt;       // describes the input image
  std::string mode = "auto";       // replace | refine | reweight | auto (replace when word counts match)
  double cross_replace = 0.4;      // fraction of steps with cross-attention replacement
  double self_replace = 0.4;       // fraction of steps with self-attention replacement
  std::string reweight_words;      // target words whose maps are scaled by reweight_scale ("" = none)
  double reweight_scale = 1.0;
  std::string blend_words;         // LocalBlend "SRC WORDS,TGT WORDS" (one part = same words); "" = off
  double blend_threshold = 0.3;
  double blend_start = 0.2;        // fraction of steps before LocalBlend starts
  bool null_text = false;          // optimise per-step unconditional embeddings (needs autograd)
  int null_inner_steps = 10;       // Adam iterations per step
};

// image may be undefined (generation mode). Output: target image; source_image = source branch.
Result<EditOutput> runP2P(EditModel& model, const at::Tensor& image, const P2POptions& opt,
                          const RunContext* run = nullptr);

}  // namespace atelier::edit
