// Euler discrete scheduler (diffusers scheduling_euler_discrete.py; s_churn = 0).
#include <ATen/ATen.h>

#include <cmath>

#include "sd/scheduler.h"
#include "sd/scheduler_util.h"

namespace atelier::sd {

EulerScheduler::EulerScheduler(SchedulerConfig cfg) : Scheduler(std::move(cfg)) {}

void EulerScheduler::setTimesteps(int n) {
  const int T = cfg_.num_train_timesteps;
  n = std::max(1, n);
  num_inference_steps_ = n;
  timesteps_.clear();
  if (cfg_.timestep_spacing == "linspace") {   // np.linspace(0, T-1, n, dtype=float32)[::-1]
    const double step = static_cast<double>(T - 1) / std::max(1, n - 1);
    for (int k = n - 1; k >= 0; --k) {
      const double v = (k == n - 1 && n > 1) ? T - 1 : k * step;
      timesteps_.push_back(static_cast<float>(v));
    }
  } else if (cfg_.timestep_spacing == "leading") {
    const int ratio = T / n;
    for (int k = n - 1; k >= 0; --k) timesteps_.push_back(static_cast<double>(k * ratio + cfg_.steps_offset));
  } else {   // trailing
    const double ratio = static_cast<double>(T) / n;
    for (int k = 0; k < n; ++k) timesteps_.push_back(std::nearbyint(T - k * ratio) - 1);
  }
  sigmas_ = interpSigmas(trainSigmas(alphas_cumprod_), timesteps_, cfg_.final_sigmas_type);
  step_index_ = -1;
}

double EulerScheduler::initNoiseSigma() const {
  const at::Tensor m = sigmas_.max();
  if (cfg_.timestep_spacing == "linspace" || cfg_.timestep_spacing == "trailing") return m.item<double>();
  return (m.pow(2) + 1).pow(0.5).item<double>();
}

double EulerScheduler::sigmaAt(double t) const { return sigmas_[indexForTimestep(t)].item<double>(); }

at::Tensor EulerScheduler::scaleModelInput(const at::Tensor& x, double t) {
  const at::Tensor sigma = sigmas_[stepIndexFor(t)];
  return x / (sigma.pow(2) + 1).pow(0.5);
}

StepOutput EulerScheduler::step(const at::Tensor& model_output, double t, const at::Tensor& x) {
  const int i = stepIndexFor(t);
  const at::Tensor sample = x.to(at::kFloat), out = model_output.to(at::kFloat);
  const at::Tensor sigma = sigmas_[i];
  const at::Tensor sigma_hat = sigma * 1.0;   // γ = 0
  at::Tensor x0;
  if (cfg_.prediction_type == "v_prediction") {
    x0 = out * (-sigma / (sigma.pow(2) + 1).pow(0.5)) + sample / (sigma.pow(2) + 1);
  } else {
    x0 = sample - sigma_hat * out;
  }
  const at::Tensor derivative = (sample - x0) / sigma_hat;
  const at::Tensor dt = sigmas_[i + 1] - sigma_hat;
  at::Tensor prev = sample + derivative * dt;
  ++step_index_;
  return {prev.to(model_output.scalar_type()), x0};
}

at::Tensor EulerScheduler::addNoise(const at::Tensor& x0, const at::Tensor& noise, double t) const {
  const int i = begin_index_ >= 0 ? (step_index_ >= 0 ? step_index_ : begin_index_) : indexForTimestep(t);
  return x0 + noise * sigmas_[i];
}

}  // namespace atelier::sd
