// LDM → diffusers key conversion (diffusers single_file_utils.py convert_ldm_* equivalents).
#include "sd/loader_keymap.h"

#include <ATen/ATen.h>

#include <regex>
#include <set>

namespace atelier::sd {
namespace {

bool consume(std::string& s, const std::string& prefix) {
  if (s.rfind(prefix, 0) != 0) return false;
  s.erase(0, prefix.size());
  return true;
}

// Splits "12.rest" into 12 and "rest"; false when s does not start with an index.
bool splitIndex(const std::string& s, int64_t& idx, std::string& rest) {
  size_t dot = s.find('.');
  if (dot == std::string::npos || dot == 0) return false;
  for (size_t i = 0; i < dot; ++i) { if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false; }
  idx = std::stoll(s.substr(0, dot));
  rest = s.substr(dot + 1);
  return true;
}

std::string renameResnet(std::string r) {   // LDM ResBlock (UNet) parameter names → diffusers ResnetBlock2D
  static const std::vector<std::pair<std::string, std::string>> map = {
      {"in_layers.0.", "norm1."}, {"in_layers.2.", "conv1."}, {"emb_layers.1.", "time_emb_proj."},
      {"out_layers.0.", "norm2."}, {"out_layers.3.", "conv2."}, {"skip_connection.", "conv_shortcut."},
      {"nin_shortcut.", "conv_shortcut."}};
  for (const auto& [from, to] : map) { if (consume(r, from)) return to + r; }
  return r;
}

// UNet key after "model.diffusion_model." → diffusers key ("" when unknown).
std::string unetKey(std::string k, int64_t lpb) {
  int64_t i = 0;
  std::string rest;
  if (consume(k, "time_embed.0.")) return "time_embedding.linear_1." + k;
  if (consume(k, "time_embed.2.")) return "time_embedding.linear_2." + k;
  if (consume(k, "input_blocks.0.0.")) return "conv_in." + k;
  if (consume(k, "out.0.")) return "conv_norm_out." + k;
  if (consume(k, "out.2.")) return "conv_out." + k;
  if (consume(k, "middle_block.") && splitIndex(k, i, rest)) {
    if (i == 1) return "mid_block.attentions.0." + rest;
    return "mid_block.resnets." + std::to_string(i == 0 ? 0 : 1) + "." + renameResnet(rest);
  }
  if (consume(k, "input_blocks.") && splitIndex(k, i, rest) && i >= 1) {
    const int64_t block = (i - 1) / (lpb + 1), layer = (i - 1) % (lpb + 1);
    const std::string b = "down_blocks." + std::to_string(block) + ".";
    if (consume(rest, "0.op.")) return b + "downsamplers.0.conv." + rest;
    if (consume(rest, "0.")) return b + "resnets." + std::to_string(layer) + "." + renameResnet(rest);
    if (consume(rest, "1.")) return b + "attentions." + std::to_string(layer) + "." + rest;
    return "";
  }
  if (consume(k, "output_blocks.") && splitIndex(k, i, rest)) {
    const int64_t block = i / (lpb + 1), layer = i % (lpb + 1);
    const std::string b = "up_blocks." + std::to_string(block) + ".";
    int64_t j = 0;
    std::string inner;
    if (!splitIndex(rest, j, inner)) return "";
    if (j == 0) return b + "resnets." + std::to_string(layer) + "." + renameResnet(inner);
    if (inner.rfind("conv.", 0) == 0) return b + "upsamplers.0." + inner;   // .1.conv or .2.conv
    if (j == 1) return b + "attentions." + std::to_string(layer) + "." + inner;
    return "";
  }
  return "";
}

// VAE key after "first_stage_model." → diffusers key; `num_up` = decoder up levels (reversed order).
std::string vaeKey(std::string k, int64_t num_up, bool& is_attn_matrix) {
  is_attn_matrix = false;
  int64_t i = 0;
  std::string rest;
  if (k.rfind("quant_conv.", 0) == 0 || k.rfind("post_quant_conv.", 0) == 0) return k;
  std::string side;
  if (consume(k, "encoder.")) side = "encoder.";
  else if (consume(k, "decoder.")) side = "decoder.";
  else return "";
  if (consume(k, "norm_out.")) return side + "conv_norm_out." + k;
  if (k.rfind("conv_in.", 0) == 0 || k.rfind("conv_out.", 0) == 0) return side + k;
  if (consume(k, "mid.block_1.")) return side + "mid_block.resnets.0." + renameResnet(k);
  if (consume(k, "mid.block_2.")) return side + "mid_block.resnets.1." + renameResnet(k);
  if (consume(k, "mid.attn_1.")) {
    static const std::vector<std::pair<std::string, std::string>> map = {
        {"norm.", "group_norm."}, {"q.", "to_q."}, {"k.", "to_k."}, {"v.", "to_v."}, {"proj_out.", "to_out.0."}};
    for (const auto& [from, to] : map) {
      if (consume(k, from)) {
        is_attn_matrix = from != "norm." && k == "weight";
        return side + "mid_block.attentions.0." + to + k;
      }
    }
    return "";
  }
  const bool enc = side == "encoder.";
  if ((enc ? consume(k, "down.") : consume(k, "up.")) && splitIndex(k, i, rest)) {
    const int64_t level = enc ? i : num_up - 1 - i;
    const std::string b = side + (enc ? "down_blocks." : "up_blocks.") + std::to_string(level) + ".";
    int64_t j = 0;
    std::string inner;
    if (consume(rest, "block.") && splitIndex(rest, j, inner)) return b + "resnets." + std::to_string(j) + "." + renameResnet(inner);
    if (consume(rest, "downsample.")) return b + "downsamplers.0." + rest;
    if (consume(rest, "upsample.")) return b + "upsamplers.0." + rest;
  }
  return "";
}

// OpenCLIP text key after "cond_stage_model.model." (no in_proj; handled by the caller) → transformers key.
std::string openClipKey(std::string k) {
  int64_t i = 0;
  std::string rest;
  if (k == "token_embedding.weight") return "embeddings.token_embedding.weight";
  if (k == "positional_embedding") return "embeddings.position_embedding.weight";
  if (consume(k, "ln_final.")) return "final_layer_norm." + k;
  if (consume(k, "transformer.resblocks.") && splitIndex(k, i, rest)) {
    static const std::vector<std::pair<std::string, std::string>> map = {
        {"ln_1.", "layer_norm1."}, {"ln_2.", "layer_norm2."}, {"attn.out_proj.", "self_attn.out_proj."},
        {"mlp.c_fc.", "mlp.fc1."}, {"mlp.c_proj.", "mlp.fc2."}};
    for (const auto& [from, to] : map) {
      if (consume(rest, from)) return "encoder.layers." + std::to_string(i) + "." + to + rest;
    }
  }
  return "";
}

}  // namespace

Result<LdmComponents> convertLdmCheckpoint(const TensorMap& ldm, const std::string& label, int64_t lpb,
                                           int64_t text_layers) {
  LdmComponents out;
  int64_t num_up = 0, resblocks = 0;
  static const std::regex up_re(R"(^first_stage_model\.decoder\.up\.(\d+)\.)");
  static const std::regex rb_re(R"(^cond_stage_model\.model\.transformer\.resblocks\.(\d+)\.)");
  for (const auto& [k, v] : ldm) {
    std::smatch m;
    if (std::regex_search(k, m, up_re)) num_up = std::max<int64_t>(num_up, std::stoll(m[1]) + 1);
    if (std::regex_search(k, m, rb_re)) resblocks = std::max<int64_t>(resblocks, std::stoll(m[1]) + 1);
  }
  out.sd2_text = resblocks > 0;
  constexpr int64_t kSd2TextLayers = 23;   // diffusers' SD 2.x text config (SD_2_TEXT_ENCODER_KEYS_TO_IGNORE)
  out.text_layers = !out.sd2_text ? 0 : text_layers >= 0 ? text_layers : std::min(resblocks, kSd2TextLayers);
  for (const auto& [key, t] : ldm) {
    std::string k = key;
    if (consume(k, "model.diffusion_model.")) {
      std::string nk = unetKey(k, lpb);
      if (nk.empty()) { out.ignored.push_back(key); continue; }
      if (nk == "conv_in.weight") out.unet_in_channels = t.size(1);
      out.unet[nk] = t;
    } else if (consume(k, "first_stage_model.")) {
      bool matrix = false;
      std::string nk = vaeKey(k, num_up, matrix);
      if (nk.empty()) { out.ignored.push_back(key); continue; }
      out.vae[nk] = matrix && t.dim() == 4 ? t.view({t.size(0), t.size(1)}) : t;
    } else if (consume(k, "cond_stage_model.transformer.")) {   // SD 1.x: transformers CLIPTextModel
      consume(k, "text_model.");
      if (k == "embeddings.position_ids") { out.ignored.push_back(key); continue; }
      out.text[k] = t;
    } else if (consume(k, "cond_stage_model.model.")) {         // SD 2.x: OpenCLIP ViT-H text tower
      int64_t layer = -1;
      std::string rest;
      std::string tmp = k;
      if (consume(tmp, "transformer.resblocks.") && splitIndex(tmp, layer, rest) && layer >= out.text_layers) {
        out.ignored.push_back(key);   // the last block is unused (SD2 conditions on the penultimate layer)
        continue;
      }
      if (layer >= 0 && (rest == "attn.in_proj_weight" || rest == "attn.in_proj_bias")) {
        if (t.size(0) % 3 != 0) return Status::Corruption(label + ": " + key + " first dim is not divisible by 3");
        const int64_t c = t.size(0) / 3;
        const std::string p = "encoder.layers." + std::to_string(layer) + ".self_attn.";
        const std::string suffix = rest == "attn.in_proj_weight" ? "weight" : "bias";
        out.text[p + "q_proj." + suffix] = t.narrow(0, 0, c);
        out.text[p + "k_proj." + suffix] = t.narrow(0, c, c);
        out.text[p + "v_proj." + suffix] = t.narrow(0, 2 * c, c);
        continue;
      }
      std::string nk = openClipKey(k);
      if (nk.empty()) { out.ignored.push_back(key); continue; }
      out.text[nk] = t;
    } else {
      out.ignored.push_back(key);
    }
  }
  if (out.unet.empty()) return Status::Corruption(label + ": no model.diffusion_model.* keys (not an SD 1.x/2.x LDM checkpoint)");
  return out;
}

}  // namespace atelier::sd
