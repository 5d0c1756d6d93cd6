// UNet2DConditionModel configuration (diffusers unet/config.json) for SD 1.x / 2.x structures.
// Everything per block is normalised to per-down-block vectors (ints in the file are broadcast); up blocks use
// the reversed lists, the mid block the last entry (diffusers semantics).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "atelier/status.h"

namespace atelier::sd {

struct UNetConfig {
  int64_t in_channels = 4, out_channels = 4;
  int64_t sample_size = 64;                               // latent side the model was trained at
  std::vector<int64_t> block_out_channels{320, 640, 1280, 1280};
  std::vector<std::string> down_block_types{"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                                            "DownBlock2D"};
  std::vector<std::string> up_block_types{"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D",
                                          "CrossAttnUpBlock2D"};
  std::vector<int64_t> layers_per_block{2, 2, 2, 2};          // per down block (up blocks: reversed, +1)
  std::vector<int64_t> num_heads{8, 8, 8, 8};                 // per down block ("attention_head_dim" in SD files)
  std::vector<int64_t> transformer_layers_per_block{1, 1, 1, 1};
  int64_t cross_attention_dim = 768;
  bool use_linear_projection = false;
  bool upcast_attention = false;
  int64_t norm_num_groups = 32;
  double norm_eps = 1e-5;
  bool flip_sin_to_cos = true;
  int64_t freq_shift = 0;
  double mid_block_scale_factor = 1.0;

  // Parses a diffusers config; unsupported features give Status::Unsupported naming `label` and the key.
  static Result<UNetConfig> fromJson(const nlohmann::json& j, const std::string& label);
  // Reads and parses a config.json file.
  static Result<UNetConfig> fromFile(const std::string& path);
  static UNetConfig sd15();   // SD 1.5 (runwayml / CompVis v1 config)
  static UNetConfig sd21();   // SD 2.1 768-v (linear proj, heads [5,10,20,20], ctx 1024, upcast attention)
  // Checks internal consistency (list lengths, divisibility by heads and groups); errors name `label`.
  Status validate(const std::string& label = "UNetConfig") const;

  size_t numBlocks() const { return block_out_channels.size(); }
  int64_t timeEmbedDim() const { return block_out_channels.at(0) * 4; }
  bool downHasAttention(size_t i) const { return down_block_types.at(i) == "CrossAttnDownBlock2D"; }
  bool upHasAttention(size_t i) const { return up_block_types.at(i) == "CrossAttnUpBlock2D"; }
};

}  // namespace atelier::sd
