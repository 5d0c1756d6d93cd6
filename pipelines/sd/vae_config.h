// AutoencoderKL configuration (diffusers vae/config.json) for the SD 1.x / 2.x VAE structure.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "atelier/status.h"

namespace atelier::sd {

struct VaeConfig {
  int64_t in_channels = 3, out_channels = 3;
  std::vector<int64_t> block_out_channels{128, 256, 512, 512};
  int64_t layers_per_block = 2;          // encoder resnets per block; decoder uses layers_per_block + 1
  int64_t latent_channels = 4;
  int64_t norm_num_groups = 32;
  double scaling_factor = 0.18215;       // latents = mean · scaling_factor (applied by pipelines, not here)
  double shift_factor = 0.0;             // null/absent in SD files
  int64_t sample_size = 512;             // image side; tiled decode uses it for the tile size
  bool use_quant_conv = true, use_post_quant_conv = true;
  bool mid_block_add_attention = true;
  bool force_upcast = true;              // diffusers runs this VAE in fp32 when the pipeline is fp16

  // Parses a diffusers config; unsupported features give Status::Unsupported naming `label` and the key.
  static Result<VaeConfig> fromJson(const nlohmann::json& j, const std::string& label);
  static Result<VaeConfig> fromFile(const std::string& path);   // reads and parses a config.json file
  static VaeConfig sd();                                         // SD 1.x / 2.x VAE
  Status validate(const std::string& label = "VaeConfig") const; // consistency checks
  int64_t downFactor() const { return int64_t{1} << (block_out_channels.size() - 1); }  // image px per latent
};

}  // namespace atelier::sd
