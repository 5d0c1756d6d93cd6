// Unit tests for the schedulers: timestep spacings, noise formulas, DDIM inverse round trip, Euler sigmas.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

#include "sd/scheduler.h"
#include "support/numeric.h"

namespace atelier::sd {
namespace {

const char* kSdConfig = R"({"_class_name": "DDIMScheduler", "beta_start": 0.00085, "beta_end": 0.012,
  "beta_schedule": "scaled_linear", "clip_sample": false, "set_alpha_to_one": false, "steps_offset": 1})";

std::unique_ptr<Scheduler> make(SamplerKind k, const std::string& json = kSdConfig) {
  auto r = makeScheduler(k, json, "scheduler_config.json");
  EXPECT_TRUE(r.ok()) << r.status().toString();
  return std::move(r).value();
}

TEST(Schedulers, TimestepSpacingsMatchDiffusers) {
  auto ddim = make(SamplerKind::kDdim);
  ddim->setTimesteps(10);
  EXPECT_EQ(ddim->timesteps(), (std::vector<double>{901, 801, 701, 601, 501, 401, 301, 201, 101, 1}));
  auto dpm = make(SamplerKind::kDpmpp2m);   // class default spacing: linspace
  dpm->setTimesteps(10);
  EXPECT_EQ(dpm->timesteps(), (std::vector<double>{999, 899, 799, 699, 599, 500, 400, 300, 200, 100}));
  auto turbo = make(SamplerKind::kEuler, R"({"timestep_spacing": "trailing", "steps_offset": 1,
      "beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012})");
  turbo->setTimesteps(4);
  EXPECT_EQ(turbo->timesteps(), (std::vector<double>{999, 749, 499, 249}));
  auto euler = make(SamplerKind::kEuler);
  euler->setTimesteps(10);
  EXPECT_EQ(euler->timesteps().front(), 999.0);
  EXPECT_EQ(euler->timesteps().back(), 0.0);
  EXPECT_NEAR(euler->timesteps()[1], 888.0, 1e-4);
}

TEST(Schedulers, FromConfigDropsDefaultValues) {
  // A key listed in _use_default_values was a default of the source class: the target uses its own default.
  auto euler = make(SamplerKind::kEuler, R"({"timestep_spacing": "leading", "_use_default_values": ["timestep_spacing"]})");
  EXPECT_EQ(euler->config().timestep_spacing, "linspace");
  auto ddim = make(SamplerKind::kDdim, "{}");
  EXPECT_EQ(ddim->config().timestep_spacing, "leading");
  EXPECT_TRUE(ddim->config().set_alpha_to_one);
  auto dpm = make(SamplerKind::kDpmpp2m, R"({"lambda_min_clipped": -Infinity, "algorithm_type": "dpmsolver++"})");
  EXPECT_EQ(dpm->config().solver_order, 2);
  auto bad = makeScheduler(SamplerKind::kEuler, R"({"use_karras_sigmas": true})", "sched.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("sched.json"), std::string::npos);
  EXPECT_NE(bad.status().message().find("use_karras_sigmas"), std::string::npos);
  EXPECT_FALSE(makeScheduler(SamplerKind::kDdim, "{not json", "x.json").ok());
}

TEST(Schedulers, EulerSigmaEndpointsAndInitNoise) {
  auto s = make(SamplerKind::kEuler);
  s->setTimesteps(10);
  auto* e = dynamic_cast<EulerScheduler*>(s.get());
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->sigmas().numel(), 11);
  EXPECT_NEAR(e->sigmas()[0].item<double>(), 14.6146, 1e-3);
  EXPECT_NEAR(e->sigmas()[9].item<double>(), 0.0292, 1e-4);
  EXPECT_EQ(e->sigmas()[10].item<double>(), 0.0);
  EXPECT_NEAR(e->initNoiseSigma(), 14.6146, 1e-3);
  auto lead = make(SamplerKind::kEuler, std::string(kSdConfig).replace(1, 0, R"("timestep_spacing": "leading",)"));
  lead->setTimesteps(10);
  const double smax = dynamic_cast<EulerScheduler*>(lead.get())->sigmas().max().item<double>();
  EXPECT_NEAR(lead->initNoiseSigma(), std::sqrt(smax * smax + 1), 1e-5);
  // alphas_cumprod endpoints from the spec: ᾱ₀ = 0.99915, ᾱ₉₉₉ ≈ 0.0046601
  EXPECT_NEAR(s->alphasCumprod()[0].item<double>(), 0.99915, 1e-6);
  EXPECT_NEAR(s->alphasCumprod()[999].item<double>(), 0.0046601, 1e-6);
}

TEST(Schedulers, AddNoiseFormulas) {
  at::manual_seed(0);
  const at::Tensor x0 = at::randn({1, 4, 8, 8}), n = at::randn({1, 4, 8, 8});
  auto ddim = make(SamplerKind::kDdim);
  ddim->setTimesteps(10);
  const double a = ddim->alphasCumprod()[501].item<double>();
  EXPECT_TRUE(test::AllClose(ddim->addNoise(x0, n, 501), std::sqrt(a) * x0 + std::sqrt(1 - a) * n, 1e-5, 1e-6));
  auto euler = make(SamplerKind::kEuler);
  euler->setTimesteps(10);
  const double t1 = euler->timesteps()[1], s1 = euler->sigmaAt(t1);
  EXPECT_TRUE(test::AllClose(euler->addNoise(x0, n, t1), x0 + s1 * n, 1e-5, 1e-6));
  auto dpm = make(SamplerKind::kDpmpp2m);
  dpm->setTimesteps(10);
  const double sd = dpm->sigmaAt(500), al = 1 / std::sqrt(sd * sd + 1);
  EXPECT_TRUE(test::AllClose(dpm->addNoise(x0, n, 500), al * x0 + sd * al * n, 1e-5, 1e-6));
}

TEST(Schedulers, DdimInverseRoundTrip) {
  at::manual_seed(1);
  const at::Tensor x = at::randn({1, 4, 8, 8}), eps = at::randn({1, 4, 8, 8});
  // With the same ε, the inverse step from t−Δ back to t undoes the forward step (also at the last step,
  // where both use ᾱ₀ because set_alpha_to_one is false).
  for (const char* json : {kSdConfig, R"({"set_alpha_to_one": true, "clip_sample": false})"}) {
    auto s = make(SamplerKind::kDdim, json);
    s->setTimesteps(10);
    auto* d = dynamic_cast<DdimScheduler*>(s.get());
    ASSERT_NE(d, nullptr);
    for (double t : d->timesteps()) {
      const at::Tensor prev = d->step(eps, t, x).prev_sample;
      EXPECT_TRUE(test::AllClose(d->inverseStep(eps, t, prev), x, 1e-4, 1e-4)) << "t=" << t;
    }
    EXPECT_EQ(d->inverseTimesteps().front(), d->timesteps().back());
  }
}

TEST(Schedulers, LastStepsReturnPredictedSample) {
  at::manual_seed(2);
  const at::Tensor x = at::randn({1, 4, 8, 8}), eps = at::randn({1, 4, 8, 8});
  for (SamplerKind k : {SamplerKind::kEuler, SamplerKind::kDpmpp2m}) {
    auto s = make(k);
    s->setTimesteps(3);
    at::Tensor cur = x;
    StepOutput out;
    for (double t : s->timesteps()) {
      (void)s->scaleModelInput(cur, t);
      out = s->step(eps, t, cur);
      cur = out.prev_sample;
      ASSERT_TRUE(at::isfinite(cur).all().item<bool>()) << samplerName(k);
    }
    // Final σ = 0: the last update lands exactly on the data prediction.
    EXPECT_TRUE(test::AllClose(cur, out.pred_original, 1e-5, 1e-5)) << samplerName(k);
  }
}

TEST(Schedulers, SamplerNames) {
  EXPECT_EQ(parseSampler("euler").value(), SamplerKind::kEuler);
  EXPECT_FALSE(parseSampler("pndm").ok());
  EXPECT_EQ(samplerFromClassName("PNDMScheduler"), SamplerKind::kInvalid);
  EXPECT_EQ(samplerFromClassName("DPMSolverMultistepScheduler"), SamplerKind::kDpmpp2m);
}

}  // namespace
}  // namespace atelier::sd
