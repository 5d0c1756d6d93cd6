// Diffusion schedulers exactly as diffusers (sd-engine.md §7): DDIM (+ inverse step), Euler discrete and
// DPM-Solver++ 2M, built from a scheduler_config.json with from_config semantics (keys absent from the file, or
// listed in "_use_default_values", take the class default). Maths in fp32 tensors like diffusers.
// Thread-safety: a Scheduler holds per-run state (step index, DPM history); one sampling loop at a time.
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "atelier/status.h"

namespace atelier::sd {

enum class SamplerKind { kInvalid = 0, kDdim, kEuler, kDpmpp2m };

const char* samplerName(SamplerKind k);                         // "ddim" | "euler" | "dpmpp2m"
Result<SamplerKind> parseSampler(const std::string& name);      // accepts the names above
// diffusers class name → kind; kInvalid for any other class (e.g. PNDMScheduler).
SamplerKind samplerFromClassName(const std::string& class_name);
const char* samplerClassName(SamplerKind k);                    // "DDIMScheduler", ...
const char* samplerA1111Name(SamplerKind k);                    // "DDIM", "Euler", "DPM++ 2M"

// The union of the settings the three classes read; defaults are filled per class by makeScheduler.
struct SchedulerConfig {
  int num_train_timesteps = 1000;
  double beta_start = 0.0001, beta_end = 0.02;
  std::string beta_schedule = "linear";          // "linear" | "scaled_linear"
  std::string prediction_type = "epsilon";       // "epsilon" | "v_prediction"
  std::string timestep_spacing;                  // "leading" | "trailing" | "linspace"
  int steps_offset = 0;
  bool clip_sample = true;                       // DDIM
  double clip_sample_range = 1.0;                // DDIM
  bool set_alpha_to_one = true;                  // DDIM
  std::string final_sigmas_type = "zero";        // Euler, DPM ("zero" | "sigma_min")
  bool lower_order_final = true;                 // DPM
  bool euler_at_final = false;                   // DPM
  int solver_order = 2;                          // DPM (1 or 2)
};

// Parses scheduler_config.json text into the config `kind` uses (from_config semantics). Unsupported options
// (karras sigmas, thresholding, trained_betas, other algorithms) fail with a message naming `label`.
Result<SchedulerConfig> parseSchedulerConfig(const std::string& json_text, SamplerKind kind, const std::string& label);

struct StepOutput {
  at::Tensor prev_sample;      // x_{t-1}
  at::Tensor pred_original;    // x̂0 for previews / callbacks
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual SamplerKind kind() const = 0;
  const SchedulerConfig& config() const { return cfg_; }
  // Builds the timestep list for n inference steps and resets the step state.
  virtual void setTimesteps(int n) = 0;
  const std::vector<double>& timesteps() const { return timesteps_; }   // model timesteps (fp32 values)
  int numInferenceSteps() const { return num_inference_steps_; }
  // Initial noise multiplier (diffusers init_noise_sigma).
  virtual double initNoiseSigma() const { return 1.0; }
  // The latent the model sees at timestep t (Euler divides by √(σ²+1); others return x).
  virtual at::Tensor scaleModelInput(const at::Tensor& x, double t) { return x; }
  // One denoising step from timestep t (a value of timesteps()).
  virtual StepOutput step(const at::Tensor& model_output, double t, const at::Tensor& x) = 0;
  // Noises clean latents to timestep t with the scheduler's own formula.
  virtual at::Tensor addNoise(const at::Tensor& x0, const at::Tensor& noise, double t) const = 0;
  // Sigma at timestep t for StepInfo (√((1-ᾱ)/ᾱ) for DDIM).
  virtual double sigmaAt(double t) const = 0;
  // img2img: the first step() call starts at index k of timesteps().
  void setBeginIndex(int k) { begin_index_ = k; }

  const at::Tensor& alphasCumprod() const { return alphas_cumprod_; }   // [T] fp32 CPU

 protected:
  explicit Scheduler(SchedulerConfig cfg);
  // diffusers index_for_timestep: the second match when duplicated, the last index when absent.
  int indexForTimestep(double t) const;
  int stepIndexFor(double t);                    // initialises step_index_ on the first call
  SchedulerConfig cfg_;
  at::Tensor alphas_cumprod_;
  std::vector<double> timesteps_;
  int num_inference_steps_ = 0;
  int step_index_ = -1;
  int begin_index_ = -1;
};

class DdimScheduler : public Scheduler {
 public:
  explicit DdimScheduler(SchedulerConfig cfg);
  SamplerKind kind() const override { return SamplerKind::kDdim; }
  void setTimesteps(int n) override;
  StepOutput step(const at::Tensor& model_output, double t, const at::Tensor& x) override;
  at::Tensor addNoise(const at::Tensor& x0, const at::Tensor& noise, double t) const override;
  double sigmaAt(double t) const override;
  // DDIMInverseScheduler.step: from the latent at t - 1000/N to target timestep t (UNet evaluated at t).
  at::Tensor inverseStep(const at::Tensor& model_output, double t, const at::Tensor& x) const;
  // Ascending timesteps for an inversion loop (the reverse of timesteps()).
  std::vector<double> inverseTimesteps() const;

 private:
  at::Tensor alphaAt(int64_t t, bool edge_value_one) const;   // 0-dim fp32; t < 0 → final/initial alpha
};

class EulerScheduler : public Scheduler {
 public:
  explicit EulerScheduler(SchedulerConfig cfg);
  SamplerKind kind() const override { return SamplerKind::kEuler; }
  void setTimesteps(int n) override;
  double initNoiseSigma() const override;
  at::Tensor scaleModelInput(const at::Tensor& x, double t) override;
  StepOutput step(const at::Tensor& model_output, double t, const at::Tensor& x) override;
  at::Tensor addNoise(const at::Tensor& x0, const at::Tensor& noise, double t) const override;
  double sigmaAt(double t) const override;
  const at::Tensor& sigmas() const { return sigmas_; }   // [N+1] fp32

 private:
  at::Tensor sigmas_;
};

class DpmSolverScheduler : public Scheduler {
 public:
  explicit DpmSolverScheduler(SchedulerConfig cfg);
  SamplerKind kind() const override { return SamplerKind::kDpmpp2m; }
  void setTimesteps(int n) override;
  StepOutput step(const at::Tensor& model_output, double t, const at::Tensor& x) override;
  at::Tensor addNoise(const at::Tensor& x0, const at::Tensor& noise, double t) const override;
  double sigmaAt(double t) const override;
  const at::Tensor& sigmas() const { return sigmas_; }   // [N+1] fp32

 private:
  at::Tensor sigmas_;
  std::vector<at::Tensor> model_outputs_;   // last data predictions, oldest first
  int lower_order_nums_ = 0;
};

// Builds `kind` from scheduler_config.json text (from_config semantics); label names the file in errors.
Result<std::unique_ptr<Scheduler>> makeScheduler(SamplerKind kind, const std::string& json_text,
                                                 const std::string& label);
// Same with an already parsed config.
std::unique_ptr<Scheduler> makeScheduler(SamplerKind kind, const SchedulerConfig& cfg);

}  // namespace atelier::sd
