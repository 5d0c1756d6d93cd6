// Loading an SD 1.x/2.x model: a diffusers folder (model_index.json, <component>/config.json + *.safetensors or
// *.fp16.safetensors) or a single-file LDM/CompVis .safetensors (keys converted by loader_keymap). Weights are
// memory-mapped and copied tensor by tensor into modules already in the target dtype/device (no second full
// copy). Pickled checkpoints (.ckpt/.pt/.bin) are rejected with a message suggesting safetensors.
#pragma once

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <memory>
#include <string>

#include "atelier/status.h"
#include "sd/clip_text.h"
#include "sd/scheduler.h"
#include "sd/tokenizer.h"
#include "sd/unet.h"
#include "sd/vae.h"

namespace atelier::sd {

struct SdLoadOptions {
  c10::Device device = c10::Device(c10::kCPU);
  c10::ScalarType dtype = c10::kFloat;     // UNet and text encoder dtype
  c10::ScalarType vae_dtype = c10::kFloat; // the SD VAE overflows in fp16 (diffusers force_upcast)
  bool load_unet = true, load_vae = true, load_text = true;
  std::string tokenizer_dir;               // single files only: CLIP tokenizer folder (default: <file dir>/tokenizer)
  std::string prediction_type;             // single files only: override ("epsilon" | "v_prediction")
  // Single files only, like diffusers' from_single_file(config=...): a diffusers folder whose unet/vae/
  // text_encoder config.json, tokenizer/ and scheduler/scheduler_config.json replace the SD 1.5/2.1 defaults
  // (needed for non-standard architectures). Its weights are not read.
  std::string config_dir;
};

struct SdModel {
  std::string name;                        // folder or file name, for metadata
  std::string path;
  ClipTokenizer tokenizer;
  ClipTextModel text_encoder{nullptr};     // null when not loaded
  UNet2DConditionModel unet{nullptr};      // null when not loaded
  AutoencoderKL vae{nullptr};              // null when not loaded
  std::string scheduler_json;              // scheduler_config.json text (from_config source)
  std::string scheduler_class;             // its _class_name ("" when absent)
  c10::Device device = c10::Device(c10::kCPU);
  c10::ScalarType dtype = c10::kFloat, vae_dtype = c10::kFloat;
  double vae_scaling_factor = 0.18215;
  int64_t sample_size = 64;                // UNet latent side (image side = vae_scale_factor ×)
  int64_t vae_scale_factor = 8;            // 2^(VAE blocks − 1), from the VAE config (diffusers vae_scale_factor)

  // The folder's scheduler class when it is DDIM/Euler/DPM++, else DDIM (SD 1.5 folders ship PNDM).
  SamplerKind defaultSampler() const;
  // Builds `kind` from scheduler_json with from_config semantics.
  Result<std::unique_ptr<Scheduler>> makeScheduler(SamplerKind kind) const;
};

// Loads a diffusers folder or a single-file .safetensors checkpoint. Errors name the offending file.
Result<std::shared_ptr<SdModel>> loadSdModel(const std::string& path, const SdLoadOptions& opt = {});

// Loads just the tokenizer of a model folder (<path>/tokenizer) — for `atelier-cli tokenize`.
Result<ClipTokenizer> loadSdTokenizer(const std::string& path);

// Rejects pickle checkpoints: Unsupported("<path>: .ckpt checkpoints are pickles ... convert to .safetensors").
Status checkCheckpointExtension(const std::string& path);

}  // namespace atelier::sd
