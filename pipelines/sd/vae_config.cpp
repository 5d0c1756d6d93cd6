#include "sd/vae_config.h"

#include <nlohmann/json.hpp>

#include "sd/config_util.h"

namespace atelier::sd {

VaeConfig VaeConfig::sd() { return VaeConfig{}; }

Result<VaeConfig> VaeConfig::fromJson(const nlohmann::json& j, const std::string& label) {
  if (!j.is_object()) return Status::InvalidArgument(label + ": VAE config is not a JSON object");
  detail::ConfigReader r(j, label);
  VaeConfig c;
  ATELIER_RETURN_IF_ERROR(r.expectString("_class_name", {"AutoencoderKL"}));
  ATELIER_RETURN_IF_ERROR(r.getInt("in_channels", c.in_channels));
  ATELIER_RETURN_IF_ERROR(r.getInt("out_channels", c.out_channels));
  ATELIER_RETURN_IF_ERROR(r.getIntList("block_out_channels", c.block_out_channels));
  if (r.present("layers_per_block") && !j.at("layers_per_block").is_number_integer()) {
    return Status::Unsupported(label + ": 'layers_per_block' must be a single integer");
  }
  ATELIER_RETURN_IF_ERROR(r.getInt("layers_per_block", c.layers_per_block));
  ATELIER_RETURN_IF_ERROR(r.getInt("latent_channels", c.latent_channels));
  ATELIER_RETURN_IF_ERROR(r.getInt("norm_num_groups", c.norm_num_groups));
  ATELIER_RETURN_IF_ERROR(r.getDouble("scaling_factor", c.scaling_factor));
  ATELIER_RETURN_IF_ERROR(r.getDouble("shift_factor", c.shift_factor));
  if (r.present("sample_size") && j.at("sample_size").is_array()) {
    const auto& s = j.at("sample_size");
    if (s.size() != 2 || !s[0].is_number_integer() || s[0] != s[1]) {
      return Status::Unsupported(label + ": non-square 'sample_size' is not supported");
    }
    c.sample_size = s[0].get<int64_t>();
  } else {
    ATELIER_RETURN_IF_ERROR(r.getInt("sample_size", c.sample_size));
  }
  ATELIER_RETURN_IF_ERROR(r.getBool("use_quant_conv", c.use_quant_conv));
  ATELIER_RETURN_IF_ERROR(r.getBool("use_post_quant_conv", c.use_post_quant_conv));
  ATELIER_RETURN_IF_ERROR(r.getBool("mid_block_add_attention", c.mid_block_add_attention));
  ATELIER_RETURN_IF_ERROR(r.getBool("force_upcast", c.force_upcast));
  ATELIER_RETURN_IF_ERROR(r.expectString("act_fn", {"silu", "swish"}));
  std::vector<std::string> down, up;
  ATELIER_RETURN_IF_ERROR(r.getStringList("down_block_types", down));
  ATELIER_RETURN_IF_ERROR(r.getStringList("up_block_types", up));
  for (const auto& t : down) {
    if (t != "DownEncoderBlock2D") return Status::Unsupported(label + ": down block type '" + t + "' is not supported");
  }
  for (const auto& t : up) {
    if (t != "UpDecoderBlock2D") return Status::Unsupported(label + ": up block type '" + t + "' is not supported");
  }
  if ((!down.empty() && down.size() != c.block_out_channels.size()) ||
      (!up.empty() && up.size() != c.block_out_channels.size())) {
    return Status::InvalidArgument(label + ": block type lists and block_out_channels differ in length");
  }
  ATELIER_RETURN_IF_ERROR(r.expectNull("latents_mean"));
  ATELIER_RETURN_IF_ERROR(r.expectNull("latents_std"));
  ATELIER_RETURN_IF_ERROR(c.validate(label));
  return c;
}

Result<VaeConfig> VaeConfig::fromFile(const std::string& path) {
  ATELIER_ASSIGN_OR_RETURN(nlohmann::json j, detail::readJsonFile(path));
  return fromJson(j, path);
}

Status VaeConfig::validate(const std::string& label) const {
  auto bad = [&](const std::string& m) { return Status::InvalidArgument(label + ": " + m); };
  if (block_out_channels.empty()) return bad("block_out_channels is empty");
  if (norm_num_groups < 1) return bad("norm_num_groups must be positive");
  for (auto ch : block_out_channels) {
    if (ch <= 0 || ch % norm_num_groups != 0) return bad("block_out_channels must be multiples of norm_num_groups");
  }
  if (layers_per_block < 1) return bad("layers_per_block must be ≥ 1");
  if (in_channels < 1 || out_channels < 1 || latent_channels < 1) return bad("channel counts must be positive");
  if (scaling_factor <= 0) return bad("scaling_factor must be positive");
  return Status::Ok();
}

}  // namespace atelier::sd
