// DPM-Solver++(2M), midpoint, lower_order_final (diffusers scheduling_dpmsolver_multistep.py).
#include <ATen/ATen.h>

#include <cmath>

#include "sd/scheduler.h"
#include "sd/scheduler_util.h"

namespace atelier::sd {
namespace {

struct AlphaSigma { at::Tensor alpha, sigma, lambda; };

// α_t = 1/√(σ²+1), σ_t = σ·α_t, λ = log α_t − log σ_t (σ = 0 → λ = +∞).
AlphaSigma alphaSigma(const at::Tensor& sigma) {
  at::Tensor a = 1 / (sigma.pow(2) + 1).pow(0.5);
  at::Tensor s = sigma * a;
  return {a, s, at::log(a) - at::log(s)};
}

}  // namespace

DpmSolverScheduler::DpmSolverScheduler(SchedulerConfig cfg) : Scheduler(std::move(cfg)) {}

void DpmSolverScheduler::setTimesteps(int n) {
  const int T = cfg_.num_train_timesteps;
  n = std::max(1, n);
  num_inference_steps_ = n;
  timesteps_.clear();
  if (cfg_.timestep_spacing == "linspace") {   // linspace(0, T-1, n+1).round()[::-1][:-1]
    const double step = static_cast<double>(T - 1) / n;
    for (int k = n; k >= 1; --k) timesteps_.push_back(k == n ? T - 1 : std::nearbyint(k * step));
  } else if (cfg_.timestep_spacing == "leading") {
    const int ratio = T / (n + 1);
    for (int k = n; k >= 1; --k) timesteps_.push_back(static_cast<double>(k * ratio + cfg_.steps_offset));
  } else {   // trailing
    const double ratio = static_cast<double>(T) / n;
    for (int k = 0; k < n; ++k) timesteps_.push_back(std::nearbyint(T - k * ratio) - 1);
  }
  sigmas_ = interpSigmas(trainSigmas(alphas_cumprod_), timesteps_, cfg_.final_sigmas_type);
  model_outputs_.assign(static_cast<size_t>(cfg_.solver_order), at::Tensor());
  lower_order_nums_ = 0;
  step_index_ = -1;
}

double DpmSolverScheduler::sigmaAt(double t) const { return sigmas_[indexForTimestep(t)].item<double>(); }

StepOutput DpmSolverScheduler::step(const at::Tensor& model_output, double t, const at::Tensor& x) {
  const int i = stepIndexFor(t);
  const int n = static_cast<int>(timesteps_.size());
  const bool lower_order_final =
      i == n - 1 && (cfg_.euler_at_final || (cfg_.lower_order_final && n < 15) || cfg_.final_sigmas_type == "zero");
  const at::Tensor sample = x.to(at::kFloat);
  const AlphaSigma s0 = alphaSigma(sigmas_[i]);
  at::Tensor m0 = cfg_.prediction_type == "v_prediction" ? s0.alpha * sample - s0.sigma * model_output
                                                          : (sample - s0.sigma * model_output) / s0.alpha;
  for (size_t k = 0; k + 1 < model_outputs_.size(); ++k) model_outputs_[k] = model_outputs_[k + 1];
  model_outputs_.back() = m0;

  const AlphaSigma st = alphaSigma(sigmas_[i + 1]);
  const at::Tensor h = st.lambda - s0.lambda;
  const at::Tensor coef = st.alpha * (at::exp(-h) - 1.0);
  at::Tensor prev;
  if (cfg_.solver_order == 1 || lower_order_nums_ < 1 || lower_order_final) {
    prev = (st.sigma / s0.sigma) * sample - coef * m0;
  } else {
    const AlphaSigma s1 = alphaSigma(sigmas_[i - 1]);
    const at::Tensor& m1 = model_outputs_[model_outputs_.size() - 2];
    const at::Tensor r0 = (s0.lambda - s1.lambda) / h;
    const at::Tensor d1 = (1.0 / r0) * (m0 - m1);
    prev = (st.sigma / s0.sigma) * sample - coef * m0 - 0.5 * coef * d1;
  }
  if (lower_order_nums_ < cfg_.solver_order) ++lower_order_nums_;
  ++step_index_;
  return {prev.to(model_output.scalar_type()), m0};
}

at::Tensor DpmSolverScheduler::addNoise(const at::Tensor& x0, const at::Tensor& noise, double t) const {
  const int i = begin_index_ >= 0 ? (step_index_ >= 0 ? step_index_ : begin_index_) : indexForTimestep(t);
  const AlphaSigma as = alphaSigma(sigmas_[i]);
  return as.alpha * x0 + as.sigma * noise;
}

}  // namespace atelier::sd
