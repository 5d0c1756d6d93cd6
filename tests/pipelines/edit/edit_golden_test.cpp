// Property tests on the tiny random-weight SD model (CPU fp32): SDEdit, DDIM/null-text inversion, P2P,
// blended inpainting, MasaCtrl (issue 7 "Tests").
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "edit/denoise_loop.h"
#include "edit/inpaint.h"
#include "edit/inversion.h"
#include "edit/masactrl.h"
#include "edit/p2p.h"
#include "edit/sdedit.h"
#include "golden_model.h"

namespace atelier::edit {
namespace {

using test::relErr;
using test::testImage;
using test::tinyModel;

// Plain single-branch sampling from z with prompt/negative at guidance g (the reference "generation").
at::Tensor plain(EditModel& m, const std::string& sampler, int steps, const at::Tensor& z, const std::string& prompt,
                 double g, const std::vector<at::Tensor>& unc_steps = {}) {
  auto s = m.makeSampler(sampler, steps).value();
  DenoiseSpec spec;
  spec.latents = z;
  spec.cond = m.encodeText({prompt}).value();
  spec.uncond = m.encodeText({""}).value();
  spec.uncond_per_step = unc_steps;
  spec.guidance = g;
  return denoise(m, *s, spec).value();
}

TEST(GoldenSdEdit, StrengthZeroIsVaeRoundTrip) {
  ATELIER_REQUIRE_TINY_MODEL();
  at::NoGradGuard ng;
  test::RecordingModel m(tinyModel());
  SdEditOptions o;
  o.common.prompt = "a photo of a cat";
  o.common.steps = 10;
  o.strength = 0.0;
  auto r = runSdEdit(m, testImage(), o);
  ASSERT_TRUE(r.ok()) << r.status().toString();
  EXPECT_TRUE(m.ts.empty());
  at::Tensor expect = m.decodeLatents(m.encodeImage(testImage()).value()).value();
  EXPECT_TRUE(at::equal(r.value().image, expect));
}

TEST(GoldenSdEdit, StrengthRunsExactlyTheLastSteps) {
  ATELIER_REQUIRE_TINY_MODEL();
  at::NoGradGuard ng;
  for (const char* sampler : {"ddim", "euler", "dpmpp2m"}) {
    for (double s : {0.25, 0.5, 0.55, 1.0}) {
      test::RecordingModel m(tinyModel());
      SdEditOptions o;
      o.common.prompt = "a photo of a cat";
      o.common.sampler = sampler;
      o.common.steps = 10;
      o.strength = s;
      auto r = runSdEdit(m, testImage(), o);
      ASSERT_TRUE(r.ok()) << r.status().toString();
      const int k = std::min(static_cast<int>(10 * s), 10);
      auto ref = m.makeSampler(sampler, 10).value();
      ASSERT_EQ(static_cast<int>(m.ts.size()), k) << sampler << " strength " << s;
      for (int i = 0; i < k; ++i) { EXPECT_EQ(m.ts[i], ref->timestep(10 - k + i)) << sampler << " " << s; }
      for (auto b : m.batches) { EXPECT_EQ(b, 2); }   // CFG batch
      EXPECT_TRUE(at::isfinite(r.value().latents).all().item<bool>());
    }
  }
}

// DDIM inversion then regeneration (guidance 1). Regeneration differs from the inverted path only through the
// local mismatch d_i = b_i·(ε(z_i, t_i) − ε(z_{i+1}, t_i)) (inversion evaluates ε on the less noisy latent), with
// b_i = √(1−ᾱ_prev) − √ᾱ_prev·√(1−ᾱ_t)/√ᾱ_t; the errors then propagate through the sampler. A random-weight UNet
// is a large-Lipschitz, non-denoising map, so over the whole schedule (x̂0 divides by √ᾱ_T ≈ 0.068) the propagation
// is chaotic and full-depth reconstruction is not a property of the code (reported, not asserted). Over the
// low-noise tail (t ≤ 100, SDEdit-like depth) propagation is ≈ 1, so we assert
//   max|rec − z0| ≤ 2·Σ_i max|d_i|   (tolerance from the measured local mismatches, factor 2 for propagation)
// and that the error shrinks as N grows (d_i = O(1/N²) per step over O(N) steps at a fixed depth).
TEST(GoldenInversion, RegenerationReconstructsLatents) {
  ATELIER_REQUIRE_TINY_MODEL();
  at::NoGradGuard ng;
  auto& m = *tinyModel();
  const at::Tensor z0 = m.encodeImage(testImage()).value();
  const at::Tensor c = m.encodeText({"a photo of a cat"}).value();
  std::vector<double> errs;
  for (int n : {10, 50, 200}) {
    auto s = m.makeSampler("ddim", n).value();
    int begin = 0;   // invert up to t = 101 (same depth for every N)
    while (s->timestep(begin) > 101) { ++begin; }
    auto traj = ddimInvert(m, *s, z0, c, nullptr, begin).value();
    auto s2 = m.makeSampler("ddim", n).value();
    DenoiseSpec spec;
    spec.latents = traj[begin];
    spec.cond = c;
    spec.guidance = 1.0;
    spec.begin = begin;
    at::Tensor rec = denoise(m, *s2, spec).value();
    double local = 0;
    for (int i = begin; i < n; ++i) {
      const sd::StepInfo st = stepInfo(*s, i);
      at::Tensor e_inv = m.unet(traj[i + 1], st.t, c, nullptr, st);
      at::Tensor e_smp = m.unet(traj[i], st.t, c, nullptr, st);
      // one sampling step with the inversion's ε maps traj[i] exactly back to traj[i+1]
      EXPECT_TRUE(test::AllClose(s->step(e_inv, i, traj[i]), traj[i + 1], 1e-5, 1e-5)) << "N " << n << " i " << i;
      local += test::MaxAbsDiff(s->step(e_smp, i, traj[i]), s->step(e_inv, i, traj[i]));
    }
    const double err = test::MaxAbsDiff(rec, z0);
    errs.push_back(err);
    std::printf("[ inversion ] N=%d tail %d steps: max|rec-z0| = %.3e (rel %.3e), sum of local mismatches %.3e\n", n,
                n - begin, err, relErr(rec, z0), local);
    EXPECT_LE(err, 2 * local) << "N " << n;
  }
  EXPECT_LT(errs[1], errs[0]);
  EXPECT_LT(errs[2], errs[1]);
  // Full depth (reported): chaotic with random weights, see above.
  auto s = m.makeSampler("ddim", 50).value();
  auto traj = ddimInvert(m, *s, z0, c).value();
  std::printf("[ inversion ] N=50 full depth: rel err %.3e (random weights: not asserted)\n",
              relErr(plain(m, "ddim", 50, traj[0], "a photo of a cat", 1.0), z0));
}

TEST(GoldenNullText, GradientZeroAtGuidanceOneAndLossDropsAtCfg) {
  ATELIER_REQUIRE_TINY_MODEL();
  auto& m = *tinyModel();
  at::Tensor z0, c, u;
  std::vector<at::Tensor> traj;
  std::unique_ptr<Sampler> s;
  {
    at::NoGradGuard ng;
    z0 = m.encodeImage(testImage()).value();
    c = m.encodeText({"a photo of a cat"}).value();
    u = m.encodeText({""}).value();
    s = m.makeSampler("ddim", 5).value();
    traj = ddimInvert(m, *s, z0, c).value();
  }
  // g = 1: ε = ε_c, the loss does not depend on u → gradient exactly 0.
  {
    at::Tensor p = u.clone().set_requires_grad(true);
    const sd::StepInfo st = stepInfo(*s, 0);
    at::Tensor eps_c = m.unet(traj[0], st.t, c, nullptr, st).detach();
    at::Tensor eps_u = m.unet(traj[0], st.t, p, nullptr, st);
    at::Tensor eps = eps_u + 1.0 * (eps_c - eps_u);
    at::mse_loss(s->step(eps, 0, traj[0]), traj[1]).backward();
    ASSERT_TRUE(p.grad().defined());
    EXPECT_EQ(p.grad().abs().max().item<double>(), 0.0);
  }
  NullTextOptions o;
  o.inner_steps = 4;
  auto r = nullTextInvert(m, *s, traj, c, u, o);
  ASSERT_TRUE(r.ok()) << r.status().toString();
  ASSERT_EQ(r.value().uncond.size(), 5u);
  EXPECT_LT(r.value().loss_last[0], r.value().loss_first[0]);
  // Reconstruction with the optimised list vs the plain "" embedding at g = 7.5 (reported; flagged if worse).
  at::NoGradGuard ng;
  const double e_opt = relErr(plain(m, "ddim", 5, traj[0], "a photo of a cat", 7.5, r.value().uncond), z0);
  const double e_plain = relErr(plain(m, "ddim", 5, traj[0], "a photo of a cat", 7.5), z0);
  std::printf("[ null-text ] loss %.3e -> %.3e; recon err optimised %.3e vs plain %.3e\n", r.value().loss_first[0],
              r.value().loss_last[0], e_opt, e_plain);
  EXPECT_LT(e_opt, e_plain);
}

TEST(GoldenP2P, IdenticalPromptsEqualPlainReconstruction) {
  ATELIER_REQUIRE_TINY_MODEL();
  at::NoGradGuard ng;
  auto& m = *tinyModel();
  P2POptions o;
  o.common.prompt = o.source_prompt = "a photo of a cat";
  o.common.steps = 10;
  o.blend_words = "cat";   // LocalBlend on identical branches is a no-op too
  auto r = runP2P(m, testImage(), o);
  ASSERT_TRUE(r.ok()) << r.status().toString();
  at::Tensor rec = plain(m, "ddim", 10, r.value().start_latents, "a photo of a cat", 7.5);
  std::printf("[ p2p same prompt ] rel err tgt %.3e src %.3e\n", relErr(r.value().latents, rec),
              relErr(r.value().source_latents, rec));
  EXPECT_LT(relErr(r.value().latents, rec), 1e-5);
  EXPECT_LT(relErr(r.value().source_latents, rec), 1e-5);
}

TEST(GoldenP2P, ZeroReplaceFractionsEqualPlainTargetGeneration) {
  ATELIER_REQUIRE_TINY_MODEL();
  at::NoGradGuard ng;
  auto& m = *tinyModel();
  for (const char* tgt : {"a photo of a dog", "a photo of a small dog"}) {   // replace and refine modes
    P2POptions o;
    o.source_prompt = "a photo of a cat";
    o.common.prompt = tgt;
    o.common.steps = 10;
    o.cross_replace = 0;
    o.self_replace = 0;
    auto r = runP2P(m, testImage(), o);
    ASSERT_TRUE(r.ok()) << r.status().toString();
    at::Tensor gen = plain(m, "ddim", 10, r.value().start_latents, tgt, 7.5);
    std::printf("[ p2p zero fractions ] '%s' rel err %.3e\n", tgt, relErr(r.value().latents, gen));
    EXPECT_LT(relErr(r.value().latents, gen), 1e-5);
    // and the edit is active with the default fractions
    o.cross_replace = o.self_replace = 0.4;
    auto r2 = runP2P(m, testImage(), o);
    ASSERT_TRUE(r2.ok());
    EXPECT_GT(relErr(r2.value().latents, gen), 1e-4);
  }
}

TEST(GoldenInpaint, UnmaskedLatentsFollowSourceTrajectory) {
  ATELIER_REQUIRE_TINY_MODEL();
  at::NoGradGuard ng;
  auto& m = *tinyModel();
  at::Tensor mask = at::zeros({1, 1, 64, 64});
  mask.narrow(3, 0, 24).fill_(1.0);
  const at::Tensor z_src = m.encodeImage(testImage()).value();
  for (bool next : {false, true}) {
    InpaintOptions o;
    o.common.prompt = "a photo of a dog";
    o.common.steps = 12;
    o.noise_to_next = next;
    auto s = m.makeSampler("", 12).value();
    int calls = 0;
    o.observer = [&](int i, const at::Tensor& x, const at::Tensor& eps, const at::Tensor& lm) {
      ++calls;
      const at::Tensor keep = 1 - lm;
      at::Tensor src = next ? (i + 1 < 12 ? s->addNoise(z_src, eps, i + 1) : z_src) : s->addNoise(z_src, eps, i);
      EXPECT_TRUE(at::equal(x * keep, src * keep)) << "step " << i;
      EXPECT_GT((x * lm - src * lm).abs().max().item<double>(), 0.0);
    };
    auto r = runInpaint(m, testImage(), mask, o);
    ASSERT_TRUE(r.ok()) << r.status().toString();
    EXPECT_EQ(calls, 12 - 3);
  }
}

TEST(GoldenMasaCtrl, StartPastLastStepEqualsPlainGeneration) {
  ATELIER_REQUIRE_TINY_MODEL();
  at::NoGradGuard ng;
  auto& m = *tinyModel();
  MasaCtrlOptions o;
  o.source_prompt = "a photo of a cat";
  o.common.prompt = "a photo of a running cat";
  o.common.steps = 10;
  o.start_step = 10;
  o.start_layer = 0;
  auto r = runMasaCtrl(m, testImage(), o);
  ASSERT_TRUE(r.ok()) << r.status().toString();
  at::Tensor gen = plain(m, "ddim", 10, r.value().start_latents, o.common.prompt, 7.5);
  std::printf("[ masactrl inactive ] rel err %.3e\n", relErr(r.value().latents, gen));
  EXPECT_LT(relErr(r.value().latents, gen), 1e-5);
  o.start_step = 2;
  auto r2 = runMasaCtrl(m, testImage(), o);
  ASSERT_TRUE(r2.ok());
  EXPECT_GT(relErr(r2.value().latents, gen), 1e-4);
  EXPECT_LT(relErr(r2.value().source_latents, r.value().source_latents), 1e-5);   // the source is untouched
}

}  // namespace
}  // namespace atelier::edit
