// Scaled-down SD configs for tests with random weights (no shared data).
#pragma once

#include "sd/unet_config.h"
#include "sd/vae_config.h"

namespace atelier::sd::sdtest {

// SD 2.x structure: linear proj, per-block heads, cross dim ≠ channels, upcast attention.
inline UNetConfig tinySd2() {
  UNetConfig c;
  c.block_out_channels = {32, 64};
  c.down_block_types = {"CrossAttnDownBlock2D", "DownBlock2D"};
  c.up_block_types = {"UpBlock2D", "CrossAttnUpBlock2D"};
  c.layers_per_block = {1, 1};
  c.num_heads = {2, 4};
  c.transformer_layers_per_block = {1, 1};
  c.cross_attention_dim = 48;
  c.use_linear_projection = true;
  c.upcast_attention = true;
  c.norm_num_groups = 8;
  c.sample_size = 8;
  return c;
}

// SD 1.x structure (4 levels, 16 transformer blocks, conv proj).
inline UNetConfig tinySd1() {
  UNetConfig c;
  c.block_out_channels = {16, 16, 32, 32};
  c.num_heads = {4, 4, 4, 4};
  c.layers_per_block = {2, 2, 2, 2};
  c.cross_attention_dim = 24;
  c.norm_num_groups = 8;
  c.sample_size = 16;
  return c;
}

// Two-level VAE; sample_size 16 → latent tile 8.
inline VaeConfig tinyVae() {
  VaeConfig c;
  c.block_out_channels = {8, 16};
  c.layers_per_block = 1;
  c.norm_num_groups = 4;
  c.sample_size = 16;
  return c;
}

}  // namespace atelier::sd::sdtest
