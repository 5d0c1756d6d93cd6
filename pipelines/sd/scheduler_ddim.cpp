// DDIM (η = 0) forward and inverse steps (diffusers scheduling_ddim.py / scheduling_ddim_inverse.py).
#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include "sd/scheduler.h"
#include "sd/scheduler_util.h"

namespace atelier::sd {

DdimScheduler::DdimScheduler(SchedulerConfig cfg) : Scheduler(std::move(cfg)) {}

void DdimScheduler::setTimesteps(int n) {
  const int T = cfg_.num_train_timesteps;
  n = std::max(1, std::min(n, T));
  num_inference_steps_ = n;
  timesteps_.clear();
  if (cfg_.timestep_spacing == "linspace") {
    const double step = static_cast<double>(T - 1) / std::max(1, n - 1);
    for (int k = n - 1; k >= 0; --k) timesteps_.push_back(k == n - 1 && n > 1 ? T - 1 : std::nearbyint(k * step));
  } else if (cfg_.timestep_spacing == "leading") {
    const int ratio = T / n;
    for (int k = n - 1; k >= 0; --k) timesteps_.push_back(k * ratio + cfg_.steps_offset);
  } else {   // trailing
    const double ratio = static_cast<double>(T) / n;
    for (int k = 0; k < n; ++k) timesteps_.push_back(std::nearbyint(T - k * ratio) - 1);
  }
  step_index_ = -1;
}

at::Tensor DdimScheduler::alphaAt(int64_t t, bool edge_value_one) const {
  if (t >= 0) return alphas_cumprod_[t];
  return edge_value_one ? scalarF(1.0) : alphas_cumprod_[0];
}

double DdimScheduler::sigmaAt(double t) const {
  const double a = alphas_cumprod_[static_cast<int64_t>(t)].item<double>();
  return std::sqrt((1.0 - a) / a);
}

StepOutput DdimScheduler::step(const at::Tensor& model_output, double t, const at::Tensor& x) {
  const auto ti = static_cast<int64_t>(t);
  const int64_t prev = ti - cfg_.num_train_timesteps / num_inference_steps_;
  const at::Tensor a_t = alphas_cumprod_[ti];
  const at::Tensor a_prev = alphaAt(prev, cfg_.set_alpha_to_one);
  const at::Tensor b_t = 1 - a_t;
  at::Tensor x0, eps;
  if (cfg_.prediction_type == "v_prediction") {
    x0 = a_t.pow(0.5) * x - b_t.pow(0.5) * model_output;
    eps = a_t.pow(0.5) * model_output + b_t.pow(0.5) * x;
  } else {
    x0 = (x - b_t.pow(0.5) * model_output) / a_t.pow(0.5);
    eps = model_output;
  }
  if (cfg_.clip_sample) x0 = x0.clamp(-cfg_.clip_sample_range, cfg_.clip_sample_range);
  at::Tensor prev_sample = a_prev.pow(0.5) * x0 + (1 - a_prev).pow(0.5) * eps;
  return {prev_sample, x0};
}

at::Tensor DdimScheduler::inverseStep(const at::Tensor& model_output, double t, const at::Tensor& x) const {
  const auto target = static_cast<int64_t>(t);
  const int64_t cur = std::min<int64_t>(target - cfg_.num_train_timesteps / num_inference_steps_,
                                        cfg_.num_train_timesteps - 1);
  const at::Tensor a_cur = alphaAt(cur, cfg_.set_alpha_to_one);
  const at::Tensor a_t = alphas_cumprod_[target];
  at::Tensor x0, eps;
  if (cfg_.prediction_type == "v_prediction") {
    x0 = a_cur.pow(0.5) * x - (1 - a_cur).pow(0.5) * model_output;
    eps = a_cur.pow(0.5) * model_output + (1 - a_cur).pow(0.5) * x;
  } else {
    x0 = (x - (1 - a_cur).pow(0.5) * model_output) / a_cur.pow(0.5);
    eps = model_output;
  }
  return a_t.pow(0.5) * x0 + (1 - a_t).pow(0.5) * eps;
}

std::vector<double> DdimScheduler::inverseTimesteps() const {
  return std::vector<double>(timesteps_.rbegin(), timesteps_.rend());
}

at::Tensor DdimScheduler::addNoise(const at::Tensor& x0, const at::Tensor& noise, double t) const {
  const at::Tensor a = alphas_cumprod_[static_cast<int64_t>(t)];
  return a.pow(0.5) * x0 + (1 - a).pow(0.5) * noise;
}

}  // namespace atelier::sd
