// Single-file LDM/CompVis checkpoint keys → diffusers/transformers component keys (SD 1.x and 2.x).
// Tensors are renamed, reshaped (VAE 1×1-conv attention → Linear) or split (OpenCLIP in_proj) as views; nothing
// is copied, so loading stays at one extra tensor at a time.
#pragma once

#include <string>
#include <vector>

#include "atelier/safetensors.h"
#include "atelier/status.h"

namespace atelier::sd {

struct LdmComponents {
  TensorMap unet, vae, text;          // diffusers UNet / AutoencoderKL keys; transformers CLIPTextModel keys
  bool sd2_text = false;              // OpenCLIP text encoder (SD 2.x): gelu, pad "!", penultimate layer
  int64_t text_layers = 0;            // encoder layers kept (SD2: see convertLdmCheckpoint)
  int64_t unet_in_channels = 4;       // from input_blocks.0.0.weight
  std::vector<std::string> ignored;   // LDM keys with no component (EMA, schedules, vision tower, …)
};

// Converts an LDM state dict. `unet_layers_per_block` is the UNet's resnets per down block (2 for SD 1.x/2.x).
// `text_layers` is the OpenCLIP layer count to keep (a text encoder config's num_hidden_layers); -1 infers it
// like diffusers' single-file loader with its SD 2.x config: min(resblocks, 23), i.e. the 24th block of a real
// SD 2.x file is dropped (penultimate layer) and a file converted from a diffusers folder keeps all its blocks.
// Errors (no UNet keys, malformed in_proj shapes) name `label`.
Result<LdmComponents> convertLdmCheckpoint(const TensorMap& ldm, const std::string& label,
                                           int64_t unet_layers_per_block = 2, int64_t text_layers = -1);

}  // namespace atelier::sd
