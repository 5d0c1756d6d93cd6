#include "edit/inversion.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>
#include <torch/optim/adam.h>
#include <torch/utils.h>

#include <algorithm>

#include "atelier/profiler.h"
#include "edit/denoise_loop.h"

namespace atelier::edit {

Result<std::vector<at::Tensor>> ddimInvert(EditModel& model, Sampler& ddim, const at::Tensor& z0,
                                           const at::Tensor& cond, const RunContext* run, int begin) {
  // z0: [n,4,h,w]; cond: [n,L,C]
  ATELIER_ZONE("edit.ddim_invert");
  const int n = ddim.numSteps();
  std::vector<at::Tensor> traj(n + 1);
  traj[n] = z0;
  at::Tensor x = z0;
  for (int i = n - 1; i >= std::max(begin, 0); --i) {
    if (run && run->cancelRequested()) { return Status::Cancelled("cancelled during inversion"); }
    const sd::StepInfo st = stepInfo(ddim, i);
    at::Tensor out = model.unet(ddim.scaleModelInput(x, i), st.t, cond, nullptr, st);
    ATELIER_ASSIGN_OR_RETURN(x, ddim.invertStep(out, i, x));
    traj[i] = x;
    if (run) { run->reportProgress(n - i, n, "invert"); }
  }
  return traj;
}

Result<NullTextResult> nullTextInvert(EditModel& model, Sampler& ddim, const std::vector<at::Tensor>& traj,
                                      const at::Tensor& cond, const at::Tensor& uncond_init,
                                      const NullTextOptions& opt, const RunContext* run) {
  // traj: N+1 latents [1,4,h,w]; cond, uncond_init: [1,L,C]
  ATELIER_ZONE("edit.null_text");
  if (!ddim.statelessStep()) { return Status::InvalidArgument("null-text inversion needs the DDIM sampler"); }
  const int n = ddim.numSteps();
  if (static_cast<int>(traj.size()) != n + 1) {
    return Status::InvalidArgument("null-text inversion: trajectory has " + std::to_string(traj.size()) +
                                   " latents, expected " + std::to_string(n + 1));
  }
  NullTextResult res;
  at::Tensor u = uncond_init.detach().clone();
  at::Tensor x = traj[0];
  for (int i = 0; i < n; ++i) {
    if (run && run->cancelRequested()) { return Status::Cancelled("cancelled during null-text inversion"); }
    const sd::StepInfo st = stepInfo(ddim, i);
    const at::Tensor xin = ddim.scaleModelInput(x, i);
    at::Tensor eps_c;
    {
      torch::NoGradGuard ng;
      eps_c = model.unet(xin, st.t, cond, nullptr, st);
    }
    torch::AutoGradMode grad_on(true);   // callers usually run under NoGradGuard
    at::Tensor param = u.detach().clone().set_requires_grad(true);
    torch::optim::Adam adam({param}, torch::optim::AdamOptions(opt.lr * (1.0 - i / 100.0)));
    const double stop = opt.early_stop + i * 2e-5;
    double first = -1, last = -1;
    for (int j = 0; j < opt.inner_steps; ++j) {
      at::Tensor eps_u = model.unet(xin, st.t, param, nullptr, st);
      at::Tensor eps = eps_u + opt.guidance * (eps_c - eps_u);
      at::Tensor loss = at::mse_loss(ddim.step(eps, i, x), traj[i + 1]);
      adam.zero_grad();
      loss.backward();
      last = loss.item<double>();
      if (j == 0) { first = last; }
      adam.step();
      if (last < stop) { break; }
    }
    u = param.detach();
    res.uncond.push_back(u);
    res.loss_first.push_back(first);
    res.loss_last.push_back(last);
    {
      torch::NoGradGuard ng;
      x = ddim.step(guidedOutput(model, ddim, x, i, cond, u, opt.guidance, nullptr), i, x);
    }
    if (run) { run->reportProgress(i + 1, n, "null-text"); }
  }
  return res;
}

}  // namespace atelier::edit
