// Composition property tests on the tiny model: one full-frame region = txt2img; region cross-attention
// weights outside the region are exactly zero (also with a reference branch).
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "edit/compose.h"
#include "edit/denoise_loop.h"
#include "edit/layout.h"
#include "golden_model.h"
#include "sd/model_folder.h"
#include "sd/txt2img.h"

namespace atelier::edit {
namespace {

using test::relErr;
using test::tinyModel;

// Records, at every cross site, the cond-half output element's probabilities [h, Nq, Nk].
class ProbeHook : public sd::AttentionHook {
 public:
  int64_t batch = 2, element = 1;   // index of the cond output element in the batch
  std::vector<std::pair<sd::AttnSite, at::Tensor>> maps;
  bool wants(const sd::AttnSite& s, const sd::StepInfo&) const override { return s.is_cross; }
  void onProbs(const sd::AttnSite& s, const sd::StepInfo&, at::Tensor& p) override {
    maps.emplace_back(s, p.view({batch, -1, p.size(1), p.size(2)})[element].clone());
  }
};

TEST(GoldenCompose, FullFrameRegionEqualsTxt2img) {
  ATELIER_REQUIRE_TINY_MODEL();
  at::NoGradGuard ng;
  auto& m = *tinyModel();
  auto L = parseLayout(R"({"width":64,"height":64,"prompt":"a photo of a cat",
                           "regions":[{"box":[0,0,64,64],"prompt":"a photo of a cat"}]})", "t").value();
  ComposeOptions o;
  o.steps = 10;
  o.seed = 42;
  auto r = runCompose(m, L, o);
  ASSERT_TRUE(r.ok()) << r.status().toString();
  // txt2img: noise(seed)·init_noise_sigma, CFG 7.5 with "" negative, the folder's sampler.
  auto s = m.makeSampler("", 10).value();
  DenoiseSpec spec;
  spec.latents = m.noise(42, 8, 8) * s->initNoiseSigma();
  spec.cond = m.encodeText({"a photo of a cat"}).value();
  spec.uncond = m.encodeText({""}).value();
  spec.guidance = 7.5;
  at::Tensor ref = denoise(m, *s, spec).value();
  const double e = relErr(r.value().latents, ref);
  const double ei = test::MaxAbsDiff(r.value().image, m.decodeLatents(ref).value());
  std::printf("[ compose full frame ] latents rel err %.3e, image max abs %.3e\n", e, ei);
  EXPECT_LT(e, 1e-5);
  EXPECT_LE(ei, 1.0 / 255);
  // …and the engine's own txt2img (what `generate` runs).
  auto sdm = sd::loadSdModel(test::tinyModelDir());
  ASSERT_TRUE(sdm.ok()) << sdm.status().toString();
  auto sched = sdm.value()->makeScheduler(sdm.value()->defaultSampler());
  ASSERT_TRUE(sched.ok()) << sched.status().toString();
  sd::Txt2ImgRequest req;
  req.prompt = "a photo of a cat";
  req.steps = 10;
  req.seed = 42;
  auto t2i = sd::txt2img(*sdm.value(), *sched.value(), req);
  ASSERT_TRUE(t2i.ok()) << t2i.status().toString();
  const double e2 = relErr(r.value().latents, t2i.value().latents);
  const double ei2 = test::MaxAbsDiff(r.value().image, t2i.value().image);
  std::printf("[ compose vs txt2img ] latents rel err %.3e, image max abs %.3e\n", e2, ei2);
  EXPECT_LT(e2, 1e-5);
  EXPECT_LE(ei2, 1.0 / 255);
}

void checkZeroOutside(const Layout& L, const ProbeHook& probe) {
  ASSERT_FALSE(probe.maps.empty());
  for (const auto& [site, p] : probe.maps) {
    const at::Tensor g = regionGroups(L, site.h, site.w);   // [Nq]
    for (size_t r = 0; r < L.regions.size(); ++r) {
      const at::Tensor outside = g != static_cast<int64_t>(r) + 1;
      const at::Tensor cols = p.narrow(-1, 77 * static_cast<int64_t>(r + 1), 77);   // [h,Nq,77]
      const at::Tensor out_rows = cols.index({at::indexing::Slice(), outside});
      if (out_rows.numel()) { EXPECT_EQ(out_rows.abs().max().item<double>(), 0.0) << site.name << " region " << r; }
      const at::Tensor in_rows = cols.index({at::indexing::Slice(), outside.logical_not()});
      if (in_rows.numel()) {
        EXPECT_NEAR(in_rows.sum(-1).min().item<double>(), 1.0, 1e-5) << site.name;   // all mass on own tokens
      }
    }
  }
}

TEST(GoldenCompose, RegionCrossAttentionIsZeroOutsideItsMask) {
  ATELIER_REQUIRE_TINY_MODEL();
  at::NoGradGuard ng;
  auto& m = *tinyModel();
  auto L = parseLayout(R"({"width":64,"height":64,"prompt":"a garden",
                           "regions":[{"box":[0,0,32,64],"prompt":"a red cat"},
                                      {"box":[32,16,64,48],"prompt":"a blue dog"}]})", "t").value();
  ProbeHook probe;
  ComposeOptions o;
  o.steps = 4;
  o.extra_hook = &probe;
  ASSERT_TRUE(runCompose(m, L, o).ok());
  checkZeroOutside(L, probe);
  // With a reference image for region 1: batch [u: out, ref | c: out, ref]; the cond output is element 2.
  L.regions[1].image = test::testImage(9);
  ProbeHook probe2;
  probe2.batch = 4;
  probe2.element = 2;
  o.extra_hook = &probe2;
  auto r = runCompose(m, L, o);
  ASSERT_TRUE(r.ok()) << r.status().toString();
  EXPECT_TRUE(at::isfinite(r.value().latents).all().item<bool>());
  checkZeroOutside(L, probe2);
}

}  // namespace
}  // namespace atelier::edit

namespace atelier {
void registerEditStages();
namespace edit {
namespace {

// The stage layer the CLI/GUI use: params → process → image + A1111 text; bad input → Status, not a crash.
TEST(GoldenStages, SdEditAndComposeStagesRunAndInpaintWithoutMaskFails) {
  ATELIER_REQUIRE_TINY_MODEL();
  registerEditStages();
  auto sdedit = StageRegistry::global().create("edit.sdedit.v1");
  ASSERT_TRUE(sdedit);
  ASSERT_TRUE(configureGuarded(*sdedit, {{"model", test::tinyModelDir()}, {"prompt", std::string("a cat")},
                                         {"steps", int64_t{4}}, {"strength", 0.5}}).ok());
  RunContext ctx;
  Packet in;
  in.tensors["image"] = test::testImage();
  auto r = processGuarded(*sdedit, in, ctx);
  ASSERT_TRUE(r.ok()) << r.status().toString();
  EXPECT_EQ(r.value().tensors.at("image").sizes(), at::IntArrayRef({1, 3, 64, 64}));
  const std::string& params = r.value().text.at("parameters");
  EXPECT_NE(params.find("Steps: 4, Sampler: DDIM"), std::string::npos) << params;
  EXPECT_NE(params.find("Denoising strength: 0.5"), std::string::npos) << params;

  auto compose = StageRegistry::global().create("edit.compose.v1");
  ASSERT_TRUE(compose);
  ASSERT_TRUE(configureGuarded(*compose, {{"model", test::tinyModelDir()}, {"steps", int64_t{3}}}).ok());
  Packet cin;
  cin.text["layout_json"] = R"({"width":64,"height":32,"prompt":"a garden","regions":[{"box":[0,0,32,32],"prompt":"a cat"}]})";
  auto rc = processGuarded(*compose, cin, ctx);
  ASSERT_TRUE(rc.ok()) << rc.status().toString();
  EXPECT_EQ(rc.value().tensors.at("image").sizes(), at::IntArrayRef({1, 3, 32, 64}));

  auto inpaint = StageRegistry::global().create("edit.inpaint.v1");
  ASSERT_TRUE(configureGuarded(*inpaint, {{"model", test::tinyModelDir()}}).ok());
  auto ri = processGuarded(*inpaint, in, ctx);
  ASSERT_FALSE(ri.ok());
  EXPECT_NE(ri.status().message().find("mask"), std::string::npos) << ri.status().toString();
}

}  // namespace
}  // namespace edit
}  // namespace atelier
