#include "sd/unet_config.h"

#include <nlohmann/json.hpp>

#include "sd/config_util.h"

namespace atelier::sd {

using detail::ConfigReader;

UNetConfig UNetConfig::sd15() { return UNetConfig{}; }

UNetConfig UNetConfig::sd21() {
  UNetConfig c;
  c.num_heads = {5, 10, 20, 20};
  c.cross_attention_dim = 1024;
  c.use_linear_projection = true;
  c.upcast_attention = true;
  c.sample_size = 96;
  return c;
}

Result<UNetConfig> UNetConfig::fromJson(const nlohmann::json& j, const std::string& label) {
  ConfigReader r(j, label);
  UNetConfig c;
  if (!j.is_object()) return Status::InvalidArgument(label + ": UNet config is not a JSON object");
  ATELIER_RETURN_IF_ERROR(r.expectString("_class_name", {"UNet2DConditionModel"}));
  ATELIER_RETURN_IF_ERROR(r.getInt("in_channels", c.in_channels));
  ATELIER_RETURN_IF_ERROR(r.getInt("out_channels", c.out_channels));
  ATELIER_RETURN_IF_ERROR(r.getInt("sample_size", c.sample_size));
  ATELIER_RETURN_IF_ERROR(r.getIntList("block_out_channels", c.block_out_channels));
  ATELIER_RETURN_IF_ERROR(r.getStringList("down_block_types", c.down_block_types));
  ATELIER_RETURN_IF_ERROR(r.getStringList("up_block_types", c.up_block_types));
  const size_t n = c.block_out_channels.size();
  ATELIER_RETURN_IF_ERROR(r.getIntOrList("layers_per_block", n, c.layers_per_block));
  // SD configs store the head count in "attention_head_dim" (diffusers: "incorrectly named");
  // a non-null num_attention_heads takes precedence, as in diffusers.
  if (r.present("num_attention_heads")) {
    ATELIER_RETURN_IF_ERROR(r.getIntOrList("num_attention_heads", n, c.num_heads));
  } else {
    ATELIER_RETURN_IF_ERROR(r.getIntOrList("attention_head_dim", n, c.num_heads));
  }
  ATELIER_RETURN_IF_ERROR(r.getIntOrList("transformer_layers_per_block", n, c.transformer_layers_per_block));
  if (r.present("cross_attention_dim") && j.at("cross_attention_dim").is_array()) {
    return Status::Unsupported(label + ": per-block 'cross_attention_dim' lists are not supported");
  }
  ATELIER_RETURN_IF_ERROR(r.getInt("cross_attention_dim", c.cross_attention_dim));
  ATELIER_RETURN_IF_ERROR(r.getBool("use_linear_projection", c.use_linear_projection));
  ATELIER_RETURN_IF_ERROR(r.getBool("upcast_attention", c.upcast_attention));
  ATELIER_RETURN_IF_ERROR(r.getInt("norm_num_groups", c.norm_num_groups));
  ATELIER_RETURN_IF_ERROR(r.getDouble("norm_eps", c.norm_eps));
  ATELIER_RETURN_IF_ERROR(r.getBool("flip_sin_to_cos", c.flip_sin_to_cos));
  ATELIER_RETURN_IF_ERROR(r.getInt("freq_shift", c.freq_shift));
  ATELIER_RETURN_IF_ERROR(r.getDouble("mid_block_scale_factor", c.mid_block_scale_factor));

  // Features outside SD 1.x/2.x: must be absent, null or at their default value.
  ATELIER_RETURN_IF_ERROR(r.expectString("act_fn", {"silu", "swish"}));
  ATELIER_RETURN_IF_ERROR(r.expectString("mid_block_type", {"UNetMidBlock2DCrossAttn"}));
  ATELIER_RETURN_IF_ERROR(r.expectString("time_embedding_type", {"positional"}));
  ATELIER_RETURN_IF_ERROR(r.expectString("resnet_time_scale_shift", {"default"}));
  ATELIER_RETURN_IF_ERROR(r.expectString("attention_type", {"default"}));
  ATELIER_RETURN_IF_ERROR(r.expectFalse("center_input_sample"));
  ATELIER_RETURN_IF_ERROR(r.expectFalse("dual_cross_attention"));
  ATELIER_RETURN_IF_ERROR(r.expectFalse("only_cross_attention"));
  ATELIER_RETURN_IF_ERROR(r.expectFalse("resnet_skip_time_act"));
  ATELIER_RETURN_IF_ERROR(r.expectFalse("class_embeddings_concat"));
  ATELIER_RETURN_IF_ERROR(r.expectNumber("downsample_padding", 1));
  ATELIER_RETURN_IF_ERROR(r.expectNumber("conv_in_kernel", 3));
  ATELIER_RETURN_IF_ERROR(r.expectNumber("conv_out_kernel", 3));
  ATELIER_RETURN_IF_ERROR(r.expectNumber("resnet_out_scale_factor", 1));
  for (const char* key : {"class_embed_type", "num_class_embeds", "addition_embed_type", "time_cond_proj_dim",
                          "encoder_hid_dim", "encoder_hid_dim_type", "time_embedding_dim", "timestep_post_act",
                          "time_embedding_act_fn", "projection_class_embeddings_input_dim", "cross_attention_norm",
                          "addition_time_embed_dim", "reverse_transformer_layers_per_block",
                          "mid_block_only_cross_attention"}) {
    ATELIER_RETURN_IF_ERROR(r.expectNull(key));
  }
  ATELIER_RETURN_IF_ERROR(c.validate(label));
  return c;
}

Result<UNetConfig> UNetConfig::fromFile(const std::string& path) {
  ATELIER_ASSIGN_OR_RETURN(nlohmann::json j, detail::readJsonFile(path));
  return fromJson(j, path);
}

Status UNetConfig::validate(const std::string& label) const {
  const size_t n = block_out_channels.size();
  auto bad = [&](const std::string& m) { return Status::InvalidArgument(label + ": " + m); };
  if (n < 1) return bad("block_out_channels is empty");
  if (down_block_types.size() != n || up_block_types.size() != n || layers_per_block.size() != n ||
      num_heads.size() != n || transformer_layers_per_block.size() != n) {
    return bad("down_block_types, up_block_types and per-block lists must have one entry per block_out_channels "
               "entry (" + std::to_string(n) + ")");
  }
  for (size_t i = 0; i < n; ++i) {
    const auto& d = down_block_types[i];
    const auto& u = up_block_types[i];
    if (d != "CrossAttnDownBlock2D" && d != "DownBlock2D") {
      return Status::Unsupported(label + ": down block type '" + d + "' is not supported");
    }
    if (u != "CrossAttnUpBlock2D" && u != "UpBlock2D") {
      return Status::Unsupported(label + ": up block type '" + u + "' is not supported");
    }
    if (block_out_channels[i] <= 0 || block_out_channels[i] % norm_num_groups != 0) {
      return bad("block_out_channels[" + std::to_string(i) + "] must be a positive multiple of norm_num_groups");
    }
    if (num_heads[i] <= 0 || block_out_channels[i] % num_heads[i] != 0) {
      return bad("block " + std::to_string(i) + ": channels not divisible by the head count");
    }
    if (layers_per_block[i] < 1 || transformer_layers_per_block[i] < 1) return bad("layer counts must be ≥ 1");
  }
  // Up block i uses reversed lists; its attention needs reversed channels divisible by reversed heads.
  for (size_t i = 0; i < n; ++i) {
    if (block_out_channels[n - 1 - i] % num_heads[n - 1 - i] != 0) return bad("up block heads do not divide channels");
  }
  if (in_channels < 1 || out_channels < 1 || cross_attention_dim < 1 || norm_num_groups < 1) {
    return bad("in_channels, out_channels, cross_attention_dim and norm_num_groups must be positive");
  }
  if (block_out_channels[0] % 2 != 0) return bad("block_out_channels[0] must be even (sinusoidal embedding)");
  if (freq_shift * 2 >= block_out_channels[0]) return bad("freq_shift too large");
  return Status::Ok();
}

}  // namespace atelier::sd
