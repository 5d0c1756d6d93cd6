// Model loading: diffusers folders and single-file LDM safetensors → SdModel in the requested device/dtype.
#include "sd/model_folder.h"

#include <ATen/ATen.h>
#include <c10/core/DefaultDtype.h>
#include <c10/core/ScalarTypeToTypeMeta.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "atelier/module_io.h"
#include "atelier/safetensors.h"
#include "sd/loader_keymap.h"
#include "sd/nn_util.h"
#include "sd/scheduler_util.h"

namespace atelier::sd {
namespace fs = std::filesystem;
namespace {

Result<std::string> readText(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::NotFound(path + ": cannot open file");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Result<nlohmann::json> readJson(const std::string& path) {
  ATELIER_ASSIGN_OR_RETURN(std::string text, readText(path));
  try {
    return nlohmann::json::parse(sanitizeNonFiniteJson(text));
  } catch (const std::exception& e) {
    return Status::Corruption(path + ": invalid JSON: " + e.what());
  }
}

std::string lowerExt(const std::string& path) {
  std::string e = fs::path(path).extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e;
}

// <dir>/<base>.safetensors or <base>.fp16.safetensors (preferred order by target dtype).
Result<std::string> findWeights(const std::string& dir, const std::string& base, bool prefer_fp16) {
  std::vector<std::string> names = {base + ".safetensors", base + ".fp16.safetensors"};
  if (prefer_fp16) std::swap(names[0], names[1]);
  for (const auto& n : names) { if (fs::is_regular_file(dir + "/" + n)) return dir + "/" + n; }
  for (const char* ext : {".bin", ".fp16.bin", ".ckpt", ".pt"}) {
    if (fs::is_regular_file(dir + "/" + base + ext)) ATELIER_RETURN_IF_ERROR(checkCheckpointExtension(dir + "/" + base + ext));
  }
  return Status::NotFound(dir + "/" + names[0] + ": weights file not found (also tried " + names[1] + ")");
}

// Builds modules directly in the target dtype (no fp32 copy of a half model), restoring the default after.
class DefaultDtypeScope {
 public:
  explicit DefaultDtypeScope(c10::ScalarType t) : saved_(c10::get_default_dtype()) {
    if (t == c10::kFloat || t == c10::kHalf || t == c10::kBFloat16 || t == c10::kDouble) {
      c10::set_default_dtype(c10::scalarTypeToTypeMeta(t));
    }
  }
  ~DefaultDtypeScope() { c10::set_default_dtype(saved_); }
 private:
  caffe2::TypeMeta saved_;
};

// Parameters are left uninitialised (detail::SkipInitScope): the strict load that follows overwrites all of them,
// so no random init runs and the peak stays at one copy in the target dtype (bench_sd --load-memory).
template <class Holder, class Config>
Result<Holder> buildModule(const Config& cfg, c10::ScalarType dtype, c10::Device device, const std::string& label) {
  Holder m{nullptr};
  detail::SkipInitScope skip_init;
  try {
    DefaultDtypeScope scope(dtype);
    at::NoGradGuard ng;
    m = Holder(cfg);
  } catch (const std::exception&) {
    m = nullptr;   // this dtype cannot be allocated on CPU: build in fp32 and convert below
  }
  try {
    if (!m) {
      at::NoGradGuard ng;
      m = Holder(cfg);
    }
    m->to(device, dtype);
    m->eval();
    return m;
  } catch (const std::exception& e) {
    return Status::Internal(label + ": building the module failed: " + e.what());
  }
}

Status loadInto(torch::nn::Module& m, const TensorMap& w, const std::string& label,
                std::vector<std::string> ignore = {}) {
  LoadWeightsOptions o;
  o.source_label = label;
  o.ignore_prefixes = std::move(ignore);
  at::NoGradGuard ng;
  return loadModuleWeights(m, w, o).withContext(label);
}

TensorMap stripTextPrefix(const TensorMap& w) {
  TensorMap out;
  for (const auto& [k, v] : w) { out[k.rfind("text_model.", 0) == 0 ? k.substr(11) : k] = v; }
  return out;
}

const std::vector<std::string> kTextIgnore = {"embeddings.position_ids", "text_projection", "logit_scale"};

Status loadFolder(SdModel& m, const std::string& dir, const SdLoadOptions& opt) {
  ATELIER_ASSIGN_OR_RETURN(nlohmann::json index, readJson(dir + "/model_index.json"));
  if (!index.is_object()) return Status::Corruption(dir + "/model_index.json: expected a JSON object");
  for (const char* comp : {"unet", "vae", "text_encoder", "tokenizer", "scheduler"}) {
    if (!index.contains(comp)) return Status::Corruption(dir + "/model_index.json: missing component '" + comp + "'");
  }
  ATELIER_ASSIGN_OR_RETURN(m.tokenizer, ClipTokenizer::fromFolder(dir + "/tokenizer"));
  ATELIER_ASSIGN_OR_RETURN(m.scheduler_json, readText(dir + "/scheduler/scheduler_config.json"));
  ATELIER_ASSIGN_OR_RETURN(nlohmann::json sched, readJson(dir + "/scheduler/scheduler_config.json"));
  m.scheduler_class = sched.is_object() ? sched.value("_class_name", std::string()) : "";
  const bool fp16 = opt.dtype == c10::kHalf || opt.dtype == c10::kBFloat16;

  ATELIER_ASSIGN_OR_RETURN(UNetConfig ucfg, UNetConfig::fromFile(dir + "/unet/config.json"));
  m.sample_size = ucfg.sample_size;
  if (opt.load_unet) {
    ATELIER_ASSIGN_OR_RETURN(std::string path, findWeights(dir + "/unet", "diffusion_pytorch_model", fp16));
    ATELIER_ASSIGN_OR_RETURN(TensorMap w, loadSafetensors(path));
    ATELIER_ASSIGN_OR_RETURN(m.unet, (buildModule<UNet2DConditionModel>(ucfg, opt.dtype, opt.device, path)));
    ATELIER_RETURN_IF_ERROR(loadInto(*m.unet, w, path));
  }
  ATELIER_ASSIGN_OR_RETURN(VaeConfig vcfg, VaeConfig::fromFile(dir + "/vae/config.json"));
  m.vae_scaling_factor = vcfg.scaling_factor;
  m.vae_scale_factor = vcfg.downFactor();
  if (opt.load_vae) {
    ATELIER_ASSIGN_OR_RETURN(std::string path, findWeights(dir + "/vae", "diffusion_pytorch_model", fp16));
    ATELIER_ASSIGN_OR_RETURN(TensorMap w, loadSafetensors(path));
    convertDeprecatedVaeAttentionKeys(w);
    ATELIER_ASSIGN_OR_RETURN(m.vae, (buildModule<AutoencoderKL>(vcfg, opt.vae_dtype, opt.device, path)));
    ATELIER_RETURN_IF_ERROR(loadInto(*m.vae, w, path));
  }
  if (opt.load_text) {
    const std::string cfg_path = dir + "/text_encoder/config.json";
    ATELIER_ASSIGN_OR_RETURN(std::string cfg_text, readText(cfg_path));
    ATELIER_ASSIGN_OR_RETURN(ClipTextConfig tcfg, ClipTextConfig::fromJsonText(cfg_text, cfg_path));
    ATELIER_ASSIGN_OR_RETURN(std::string path, findWeights(dir + "/text_encoder", "model", fp16));
    ATELIER_ASSIGN_OR_RETURN(TensorMap w, loadSafetensors(path));
    ATELIER_ASSIGN_OR_RETURN(m.text_encoder, (buildModule<ClipTextModel>(tcfg, opt.dtype, opt.device, path)));
    ATELIER_RETURN_IF_ERROR(loadInto(*m.text_encoder, stripTextPrefix(w), path, kTextIgnore));
  }
  return Status::Ok();
}

// diffusers SCHEDULER_DEFAULT_CONFIG for single files (DDIM, leading, offset 1).
std::string singleFileSchedulerJson(const std::string& prediction_type) {
  nlohmann::json j = {{"_class_name", "DDIMScheduler"}, {"beta_schedule", "scaled_linear"}, {"beta_start", 0.00085},
                      {"beta_end", 0.012}, {"num_train_timesteps", 1000}, {"prediction_type", prediction_type},
                      {"set_alpha_to_one", false}, {"clip_sample", false}, {"steps_offset", 1},
                      {"timestep_spacing", "leading"}};
  return j.dump();
}

// Component configs of a single file: from opt.config_dir (diffusers from_single_file(config=...)) or the
// SD 1.5 / 2.1 defaults diffusers infers for LDM checkpoints.
struct SingleFileConfigs {
  UNetConfig unet;
  VaeConfig vae = VaeConfig::sd();
  ClipTextConfig text;
  bool have_text = false;   // text config read from config_dir
};

Result<SingleFileConfigs> readConfigDir(const std::string& dir) {
  SingleFileConfigs c;
  ATELIER_ASSIGN_OR_RETURN(c.unet, UNetConfig::fromFile(dir + "/unet/config.json"));
  ATELIER_ASSIGN_OR_RETURN(c.vae, VaeConfig::fromFile(dir + "/vae/config.json"));
  const std::string text_path = dir + "/text_encoder/config.json";
  ATELIER_ASSIGN_OR_RETURN(std::string text, readText(text_path));
  ATELIER_ASSIGN_OR_RETURN(c.text, ClipTextConfig::fromJsonText(text, text_path));
  c.have_text = true;
  return c;
}

Status loadSingleFile(SdModel& m, const std::string& path, const SdLoadOptions& opt) {
  const bool cfg_dir = !opt.config_dir.empty();
  SingleFileConfigs cfg;
  if (cfg_dir) { ATELIER_ASSIGN_OR_RETURN(cfg, readConfigDir(opt.config_dir)); }
  const auto& lpb = cfg.unet.layers_per_block;
  if (cfg_dir && std::adjacent_find(lpb.begin(), lpb.end(), std::not_equal_to<>()) != lpb.end()) {
    return Status::Unsupported(opt.config_dir + "/unet/config.json: per-block layers_per_block has no LDM layout");
  }
  ATELIER_ASSIGN_OR_RETURN(TensorMap all, loadSafetensors(path));
  ATELIER_ASSIGN_OR_RETURN(LdmComponents c, convertLdmCheckpoint(all, path, cfg_dir ? lpb.at(0) : 2,
                                                                 cfg_dir ? cfg.text.num_layers : -1));
  all.clear();
  const std::string tok_dir = !opt.tokenizer_dir.empty() ? opt.tokenizer_dir
                              : cfg_dir ? opt.config_dir + "/tokenizer"
                                        : (fs::path(path).parent_path() / "tokenizer").string();
  auto tok = ClipTokenizer::fromFolder(tok_dir);
  if (!tok.ok()) {
    return tok.status().withContext(path + ": single-file checkpoints carry no tokenizer; pass a CLIP tokenizer "
                                           "folder (vocab.json + merges.txt)");
  }
  m.tokenizer = std::move(tok).value();
  // SD 2.x pads with "!"; a config folder's tokenizer files say so themselves.
  if (c.sd2_text && !cfg_dir) { ATELIER_ASSIGN_OR_RETURN(m.tokenizer, m.tokenizer.withPadToken("!")); }
  const std::string sched_path = opt.config_dir + "/scheduler/scheduler_config.json";
  if (cfg_dir && fs::is_regular_file(sched_path)) {
    ATELIER_ASSIGN_OR_RETURN(nlohmann::json sched, readJson(sched_path));
    if (!sched.is_object()) return Status::Corruption(sched_path + ": expected a JSON object");
    if (!opt.prediction_type.empty()) sched["prediction_type"] = opt.prediction_type;
    m.scheduler_json = sched.dump();
    m.scheduler_class = sched.value("_class_name", std::string());
  } else {
    const std::string pred = !opt.prediction_type.empty() ? opt.prediction_type
                                                          : (c.sd2_text ? "v_prediction" : "epsilon");
    m.scheduler_json = singleFileSchedulerJson(pred);
    m.scheduler_class = "DDIMScheduler";
    if (!cfg_dir) {
      cfg.unet = c.sd2_text ? UNetConfig::sd21() : UNetConfig::sd15();
      cfg.unet.in_channels = c.unet_in_channels;
      if (c.sd2_text && pred == "epsilon") cfg.unet.sample_size = 64;   // 512-base
    }
  }
  UNetConfig& ucfg = cfg.unet;
  ATELIER_RETURN_IF_ERROR(ucfg.validate(path));
  auto conv_in = c.unet.find("conv_in.weight");   // cheap check before building a (possibly large) wrong model
  if (opt.load_unet && conv_in != c.unet.end() && conv_in->second.size(0) != ucfg.block_out_channels[0]) {
    const std::string src = cfg_dir ? opt.config_dir + "/unet/config.json" : "default SD 1.x/2.x";
    return Status::InvalidArgument(
        path + ": UNet conv_in has " + std::to_string(conv_in->second.size(0)) + " channels but the " + src +
        " config expects " + std::to_string(ucfg.block_out_channels[0]) +
        (cfg_dir ? "" : "; pass the model's diffusers configs (SdLoadOptions::config_dir, CLI --config DIR)"));
  }
  m.sample_size = ucfg.sample_size;
  if (opt.load_unet) {
    ATELIER_ASSIGN_OR_RETURN(m.unet, (buildModule<UNet2DConditionModel>(ucfg, opt.dtype, opt.device, path)));
    ATELIER_RETURN_IF_ERROR(loadInto(*m.unet, c.unet, path + " (UNet)"));
  }
  c.unet.clear();
  m.vae_scaling_factor = cfg.vae.scaling_factor;
  m.vae_scale_factor = cfg.vae.downFactor();
  if (opt.load_vae) {
    ATELIER_ASSIGN_OR_RETURN(m.vae, (buildModule<AutoencoderKL>(cfg.vae, opt.vae_dtype, opt.device, path)));
    ATELIER_RETURN_IF_ERROR(loadInto(*m.vae, c.vae, path + " (VAE)"));
  }
  c.vae.clear();
  if (opt.load_text) {
    ClipTextConfig tcfg = cfg.text;
    if (!cfg.have_text) {
      tcfg = c.sd2_text ? ClipTextConfig::sd21() : ClipTextConfig::sd15();
      if (c.sd2_text) tcfg.num_layers = c.text_layers;
      auto emb = c.text.find("embeddings.token_embedding.weight");
      if (emb == c.text.end()) return Status::Corruption(path + ": no text encoder token embedding (cond_stage_model.*)");
      tcfg.hidden_size = emb->second.size(1);
    }
    ATELIER_ASSIGN_OR_RETURN(m.text_encoder, (buildModule<ClipTextModel>(tcfg, opt.dtype, opt.device, path)));
    ATELIER_RETURN_IF_ERROR(loadInto(*m.text_encoder, c.text, path + " (text encoder)", kTextIgnore));
  }
  return Status::Ok();
}

}  // namespace

Status checkCheckpointExtension(const std::string& path) {
  const std::string e = lowerExt(path);
  if (e == ".ckpt" || e == ".pt" || e == ".pth" || e == ".bin") {
    return Status::Unsupported(path + ": " + e + " checkpoints are Python pickles and are not loaded (unsafe, "
                               "needs Python); convert the file to .safetensors (e.g. with diffusers or the "
                               "safetensors convert script) and pass that instead");
  }
  return Status::Ok();
}

SamplerKind SdModel::defaultSampler() const {
  const SamplerKind k = samplerFromClassName(scheduler_class);
  return k == SamplerKind::kInvalid ? SamplerKind::kDdim : k;
}

Result<std::unique_ptr<Scheduler>> SdModel::makeScheduler(SamplerKind kind) const {
  return sd::makeScheduler(kind, scheduler_json, path + "/scheduler/scheduler_config.json");
}

Result<std::shared_ptr<SdModel>> loadSdModel(const std::string& path, const SdLoadOptions& opt) {
  auto m = std::make_shared<SdModel>();
  m->path = path;
  m->name = fs::path(path).filename().string();
  if (m->name.empty()) m->name = fs::path(path).parent_path().filename().string();
  m->device = opt.device;
  m->dtype = opt.dtype;
  m->vae_dtype = opt.vae_dtype;
  if (fs::is_directory(path)) {
    if (!opt.config_dir.empty()) {
      return Status::InvalidArgument(path + ": a config folder (" + opt.config_dir + ") applies to single-file "
                                     "checkpoints only; a diffusers folder carries its own configs");
    }
    ATELIER_RETURN_IF_ERROR(loadFolder(*m, path, opt));
  } else if (fs::is_regular_file(path)) {
    ATELIER_RETURN_IF_ERROR(checkCheckpointExtension(path));
    if (lowerExt(path) != ".safetensors") {
      return Status::InvalidArgument(path + ": expected a diffusers model folder or a .safetensors checkpoint");
    }
    m->name = fs::path(path).stem().string();
    ATELIER_RETURN_IF_ERROR(loadSingleFile(*m, path, opt));
  } else {
    return Status::NotFound(path + ": no such model folder or file");
  }
  return m;
}

Result<ClipTokenizer> loadSdTokenizer(const std::string& path) {
  if (fs::is_regular_file(path)) return ClipTokenizer::fromFolder((fs::path(path).parent_path() / "tokenizer").string());
  if (fs::is_regular_file(path + "/vocab.json")) return ClipTokenizer::fromFolder(path);
  return ClipTokenizer::fromFolder(path + "/tokenizer");
}

}  // namespace atelier::sd
