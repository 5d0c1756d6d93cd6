// Scheduler config parsing (from_config semantics), the shared noise schedule and the factory.
#include <ATen/ATen.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "sd/scheduler.h"
#include "sd/scheduler_util.h"

namespace atelier::sd {

const char* samplerName(SamplerKind k) {
  switch (k) {
    case SamplerKind::kDdim: return "ddim";
    case SamplerKind::kEuler: return "euler";
    case SamplerKind::kDpmpp2m: return "dpmpp2m";
    default: return "invalid";
  }
}

const char* samplerClassName(SamplerKind k) {
  switch (k) {
    case SamplerKind::kDdim: return "DDIMScheduler";
    case SamplerKind::kEuler: return "EulerDiscreteScheduler";
    case SamplerKind::kDpmpp2m: return "DPMSolverMultistepScheduler";
    default: return "";
  }
}

const char* samplerA1111Name(SamplerKind k) {
  switch (k) {
    case SamplerKind::kDdim: return "DDIM";
    case SamplerKind::kEuler: return "Euler";
    case SamplerKind::kDpmpp2m: return "DPM++ 2M";
    default: return "";
  }
}

Result<SamplerKind> parseSampler(const std::string& name) {
  for (SamplerKind k : {SamplerKind::kDdim, SamplerKind::kEuler, SamplerKind::kDpmpp2m}) {
    if (name == samplerName(k)) return k;
  }
  return Status::InvalidArgument("unknown sampler '" + name + "' (expected ddim, euler or dpmpp2m)");
}

SamplerKind samplerFromClassName(const std::string& class_name) {
  for (SamplerKind k : {SamplerKind::kDdim, SamplerKind::kEuler, SamplerKind::kDpmpp2m}) {
    if (class_name == samplerClassName(k)) return k;
  }
  return SamplerKind::kInvalid;
}

std::string sanitizeNonFiniteJson(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < text.size()) { out.push_back(text[++i]); } else if (c == '"') { in_string = false; }
      continue;
    }
    if (c == '"') { in_string = true; out.push_back(c); continue; }
    bool replaced = false;
    for (const char* lit : {"-Infinity", "Infinity", "NaN"}) {
      const size_t n = std::char_traits<char>::length(lit);
      if (text.compare(i, n, lit) == 0) { out += "null"; i += n - 1; replaced = true; break; }
    }
    if (!replaced) out.push_back(c);
  }
  return out;
}

Result<SchedulerConfig> parseSchedulerConfig(const std::string& json_text, SamplerKind kind, const std::string& label) {
  SchedulerConfig c;
  c.timestep_spacing = kind == SamplerKind::kDdim ? "leading" : "linspace";
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(sanitizeNonFiniteJson(json_text));
  } catch (const std::exception& e) {
    return Status::Corruption(label + ": invalid JSON: " + e.what());
  }
  if (!j.is_object()) return Status::Corruption(label + ": expected a JSON object");
  std::set<std::string> defaults;   // keys that were class defaults in the source config: from_config drops them
  if (j.contains("_use_default_values") && j["_use_default_values"].is_array()) {
    for (const auto& k : j["_use_default_values"]) { if (k.is_string()) defaults.insert(k.get<std::string>()); }
  }
  auto has = [&](const char* key) { return j.contains(key) && !j[key].is_null() && !defaults.count(key); };
  try {
    if (has("num_train_timesteps")) c.num_train_timesteps = j["num_train_timesteps"].get<int>();
    if (has("beta_start")) c.beta_start = j["beta_start"].get<double>();
    if (has("beta_end")) c.beta_end = j["beta_end"].get<double>();
    if (has("beta_schedule")) c.beta_schedule = j["beta_schedule"].get<std::string>();
    if (has("prediction_type")) c.prediction_type = j["prediction_type"].get<std::string>();
    if (has("timestep_spacing")) c.timestep_spacing = j["timestep_spacing"].get<std::string>();
    if (has("steps_offset")) c.steps_offset = j["steps_offset"].get<int>();
    if (has("clip_sample")) c.clip_sample = j["clip_sample"].get<bool>();
    if (has("clip_sample_range")) c.clip_sample_range = j["clip_sample_range"].get<double>();
    if (has("set_alpha_to_one")) c.set_alpha_to_one = j["set_alpha_to_one"].get<bool>();
    if (has("final_sigmas_type")) c.final_sigmas_type = j["final_sigmas_type"].get<std::string>();
    if (has("lower_order_final")) c.lower_order_final = j["lower_order_final"].get<bool>();
    if (has("euler_at_final")) c.euler_at_final = j["euler_at_final"].get<bool>();
    if (has("solver_order")) c.solver_order = j["solver_order"].get<int>();
  } catch (const std::exception& e) {
    return Status::Corruption(label + ": wrong value type: " + e.what());
  }
  auto unsupported = [&](const std::string& what) {
    return Status::Unsupported(label + ": " + what + " is not supported by the " + samplerName(kind) + " sampler");
  };
  if (has("trained_betas")) return unsupported("trained_betas");
  if (c.beta_schedule != "linear" && c.beta_schedule != "scaled_linear") return unsupported("beta_schedule " + c.beta_schedule);
  if (c.prediction_type != "epsilon" && c.prediction_type != "v_prediction") {
    return unsupported("prediction_type " + c.prediction_type);
  }
  if (c.timestep_spacing != "leading" && c.timestep_spacing != "trailing" && c.timestep_spacing != "linspace") {
    return unsupported("timestep_spacing " + c.timestep_spacing);
  }
  if (c.num_train_timesteps < 2) return Status::Corruption(label + ": num_train_timesteps must be ≥ 2");
  for (const char* flag : {"thresholding", "rescale_betas_zero_snr", "use_karras_sigmas", "use_exponential_sigmas",
                           "use_beta_sigmas", "use_lu_lambdas", "use_flow_sigmas", "use_dynamic_shifting"}) {
    if (has(flag) && j[flag].is_boolean() && j[flag].get<bool>()) return unsupported(flag);
  }
  if (kind == SamplerKind::kEuler) {
    if (has("interpolation_type") && j["interpolation_type"] != "linear") return unsupported("interpolation_type");
    if (has("timestep_type") && j["timestep_type"] != "discrete") return unsupported("timestep_type");
  }
  if (kind == SamplerKind::kDpmpp2m) {
    if (has("algorithm_type") && j["algorithm_type"] != "dpmsolver++") return unsupported("algorithm_type");
    if (has("solver_type") && j["solver_type"] != "midpoint") return unsupported("solver_type");
    if (c.solver_order < 1 || c.solver_order > 2) return unsupported("solver_order " + std::to_string(c.solver_order));
  }
  if (kind != SamplerKind::kDdim && c.final_sigmas_type != "zero" && c.final_sigmas_type != "sigma_min") {
    return unsupported("final_sigmas_type " + c.final_sigmas_type);
  }
  return c;
}

Scheduler::Scheduler(SchedulerConfig cfg) : cfg_(std::move(cfg)) {
  const int64_t n = cfg_.num_train_timesteps;
  at::Tensor betas;
  if (cfg_.beta_schedule == "scaled_linear") {
    betas = at::linspace(std::sqrt(cfg_.beta_start), std::sqrt(cfg_.beta_end), n, at::kFloat).pow(2);
  } else {
    betas = at::linspace(cfg_.beta_start, cfg_.beta_end, n, at::kFloat);
  }
  alphas_cumprod_ = at::cumprod(1.0 - betas, 0);
}

int Scheduler::indexForTimestep(double t) const {
  std::vector<int> hits;
  for (size_t i = 0; i < timesteps_.size(); ++i) { if (timesteps_[i] == t) hits.push_back(static_cast<int>(i)); }
  if (hits.empty()) return static_cast<int>(timesteps_.size()) - 1;
  return hits.size() > 1 ? hits[1] : hits[0];
}

int Scheduler::stepIndexFor(double t) {
  if (step_index_ < 0) step_index_ = begin_index_ >= 0 ? begin_index_ : indexForTimestep(t);
  return step_index_;
}

at::Tensor trainSigmas(const at::Tensor& alphas_cumprod) {
  return ((1.0 - alphas_cumprod) / alphas_cumprod).pow(0.5);
}

at::Tensor interpSigmas(const at::Tensor& train_sigmas, const std::vector<double>& timesteps,
                        const std::string& final_sigmas_type) {
  const at::Tensor s = train_sigmas.contiguous();
  const float* p = s.data_ptr<float>();
  const int64_t n = s.size(0);
  std::vector<float> out;
  for (double t : timesteps) {   // np.interp in float64 over xp = 0..n-1
    double v;
    if (t <= 0) {
      v = p[0];
    } else if (t >= static_cast<double>(n - 1)) {
      v = p[n - 1];
    } else {
      const auto j = static_cast<int64_t>(std::floor(t));
      const double slope = static_cast<double>(p[j + 1]) - static_cast<double>(p[j]);
      v = slope * (t - static_cast<double>(j)) + static_cast<double>(p[j]);
    }
    out.push_back(static_cast<float>(v));
  }
  out.push_back(final_sigmas_type == "sigma_min" ? p[0] : 0.0f);
  return at::tensor(out, at::kFloat);
}

at::Tensor scalarF(double v) { return at::scalar_tensor(v, at::kFloat); }

std::unique_ptr<Scheduler> makeScheduler(SamplerKind kind, const SchedulerConfig& cfg) {
  switch (kind) {
    case SamplerKind::kDdim: return std::make_unique<DdimScheduler>(cfg);
    case SamplerKind::kEuler: return std::make_unique<EulerScheduler>(cfg);
    case SamplerKind::kDpmpp2m: return std::make_unique<DpmSolverScheduler>(cfg);
    default: return nullptr;
  }
}

Result<std::unique_ptr<Scheduler>> makeScheduler(SamplerKind kind, const std::string& json_text,
                                                 const std::string& label) {
  if (kind == SamplerKind::kInvalid) return Status::InvalidArgument(label + ": no sampler selected");
  ATELIER_ASSIGN_OR_RETURN(SchedulerConfig cfg, parseSchedulerConfig(json_text, kind, label));
  return makeScheduler(kind, cfg);
}

}  // namespace atelier::sd
