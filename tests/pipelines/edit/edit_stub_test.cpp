// Invariants with a stub model whose "UNet" depends only on t (editing-methods.md A1, A2, A7 tests).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "edit/denoise_loop.h"
#include "edit/inpaint.h"
#include "edit/inversion.h"
#include "edit/sdedit.h"
#include "stub_model.h"
#include "support/numeric.h"

namespace atelier::edit {
namespace {

at::Tensor testImage() {
  at::manual_seed(3);
  return at::rand({1, 3, 64, 64});
}

TEST(StubInversion, DdimRoundTripIsExactWhenEpsDependsOnlyOnT) {
  test::StubModel m;
  auto s = m.makeSampler("ddim", 10).value();
  at::manual_seed(1);
  at::Tensor z0 = at::randn({1, 4, 8, 8});
  at::Tensor c = m.encodeText({""}).value();
  auto traj = ddimInvert(m, *s, z0, c).value();
  ASSERT_EQ(traj.size(), 11u);
  EXPECT_TRUE(at::equal(traj[10], z0));
  DenoiseSpec spec;
  spec.latents = traj[0];
  spec.cond = c;
  spec.guidance = 1.0;
  std::vector<at::Tensor> seen;
  spec.after_step = [&](int i, at::Tensor& x) { seen.push_back(x); };
  at::Tensor z = denoise(m, *s, spec).value();
  EXPECT_TRUE(test::AllClose(z, z0, 0, 2e-5));
  for (int i = 0; i < 10; ++i) { EXPECT_TRUE(test::AllClose(seen[i], traj[i + 1], 0, 2e-5)) << "step " << i; }
}

TEST(StubSdEdit, StrengthZeroIsRoundTripAndStrengthRunsLastSteps) {
  test::StubModel m;
  SdEditOptions o;
  o.common.steps = 10;
  o.strength = 0.0;
  auto r0 = runSdEdit(m, testImage(), o).value();
  EXPECT_EQ(m.unet_calls, 0);
  EXPECT_TRUE(at::equal(r0.image, m.decodeLatents(m.encodeImage(testImage()).value()).value()));
  o.strength = 0.35;   // int(3.5) = 3 steps
  auto r1 = runSdEdit(m, testImage(), o).value();
  EXPECT_EQ(m.unet_calls, 3);
  // A1 stub test: UNet returns exactly the injected noise, DDIM η=0 → √ᾱ₀·z0 + √(1−ᾱ₀)·ε.
  o.strength = 0.6;
  at::Tensor eps = m.noise(o.common.seed, 8, 8);
  m.eps = [eps](const at::Tensor& x, double) { return eps.expand_as(x).clone(); };
  auto r2 = runSdEdit(m, testImage(), o).value();
  const double a0 = 0.99915;   // ᾱ₀ for scaled_linear 0.00085..0.012
  at::Tensor z0 = m.encodeImage(testImage()).value();
  EXPECT_TRUE(test::AllClose(r2.latents, std::sqrt(a0) * z0 + std::sqrt(1 - a0) * eps, 0, 1e-4));
}

TEST(StubInpaint, MaskZeroGivesNoisedSourceMaskOneGivesPlainGeneration) {
  test::StubModel m;
  InpaintOptions o;
  o.common.steps = 8;
  at::Tensor img = testImage();
  at::Tensor z_src = m.encodeImage(img).value();
  auto s = m.makeSampler("ddim", 8).value();
  at::Tensor last_eps;
  int last_i = -1;
  o.observer = [&](int i, const at::Tensor&, const at::Tensor& eps, const at::Tensor&) { last_eps = eps; last_i = i; };
  auto r0 = runInpaint(m, img, at::zeros({1, 1, 64, 64}), o).value();
  ASSERT_EQ(last_i, 7);
  EXPECT_TRUE(at::equal(r0.latents, s->addNoise(z_src, last_eps, 7)));
  o.observer = nullptr;
  auto r1 = runInpaint(m, img, at::ones({1, 1, 64, 64}), o).value();
  // plain generation over the shortened schedule from the same start
  DenoiseSpec spec;
  spec.latents = s->addNoise(at::zeros_like(z_src), m.noise(0, 8, 8), 2);
  spec.cond = m.encodeText({""}).value();
  spec.uncond = spec.cond;
  spec.begin = 2;
  EXPECT_TRUE(at::equal(r1.latents, denoise(m, *s, spec).value()));
}

}  // namespace
}  // namespace atelier::edit
