// Pure-logic tests: token maps, layout parsing, region masks, MasaCtrl K/V sharing, LocalBlend, SDEdit schedule.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <limits>

#include "edit/layout.h"
#include "edit/masactrl.h"
#include "edit/p2p_controller.h"
#include "edit/regional_attention.h"
#include "edit/sdedit.h"
#include "edit/token_align.h"

namespace atelier::edit {
namespace {

// One token per character group: words longer than 4 letters split into two tokens.
std::vector<int64_t> tok(const std::string& s) {
  std::vector<int64_t> v;
  for (const auto& w : splitWords(s)) {
    v.push_back(static_cast<int64_t>(w[0]));
    if (w.size() > 4) { v.push_back(1000 + static_cast<int64_t>(w[1])); }
  }
  return v;
}

TEST(TokenAlign, IdenticalPromptsGiveIdentityMapper) {
  std::string err;
  at::Tensor m = replacementMapper("a photo of a cat", "a photo of a cat", tok, &err);
  ASSERT_TRUE(m.defined()) << err;
  EXPECT_TRUE(at::equal(m, at::eye(77)));
}

TEST(TokenAlign, WordSwapSplitsWeight) {
  std::string err;
  // "photo" is 2 tokens (2,3); "cat" (1 token, position 6) → "horse" (2 tokens, 6 and 7): weight 1/2 each;
  // "sitting" then shifts by one (source 7 → target 8).
  at::Tensor m = replacementMapper("a photo of a cat sitting", "a photo of a horse sitting", tok, &err);
  ASSERT_TRUE(m.defined()) << err;
  EXPECT_FLOAT_EQ(m[6][6].item<float>(), 0.5f);
  EXPECT_FLOAT_EQ(m[6][7].item<float>(), 0.5f);
  EXPECT_FLOAT_EQ(m[7][8].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(m[3][3].item<float>(), 1.0f);
  // Each mapped source row sums to 1.
  EXPECT_NEAR(m.narrow(0, 0, 9).sum(1).min().item<float>(), 1.0f, 1e-6);
  EXPECT_FALSE(replacementMapper("a cat", "a big cat", tok, &err).defined());
  EXPECT_FALSE(err.empty());
}

TEST(TokenAlign, RefinementAlignsInsertedWords) {
  at::Tensor mapper, alphas;
  // BOS a cat EOS → BOS a red cat EOS: "red" (target 2) is new.
  refinementMapper({49406, 1, 2, 49407}, {49406, 1, 9, 2, 49407}, &mapper, &alphas);
  EXPECT_EQ(mapper[0].item<int64_t>(), 0);
  EXPECT_EQ(mapper[1].item<int64_t>(), 1);
  EXPECT_EQ(alphas[2].item<float>(), 0.f);
  EXPECT_EQ(mapper[3].item<int64_t>(), 2);
  EXPECT_EQ(mapper[4].item<int64_t>(), 3);
  EXPECT_EQ(alphas[4].item<float>(), 1.f);
  EXPECT_EQ(mapper[10].item<int64_t>(), 10);   // padding maps to itself
}

TEST(TokenAlign, WordPositions) {
  EXPECT_EQ(wordTokenPositions("a photo of a horse", "horse", -1, tok), (std::vector<int64_t>{6, 7}));
  EXPECT_EQ(wordTokenPositions("a photo of a horse", "", 1, tok), (std::vector<int64_t>{2, 3}));
}

TEST(Layout, ParsesAndSnaps) {
  auto r = parseLayout(R"({"width":64,"height":48,"prompt":"g","regions":[{"box":[3,0,29,44],"prompt":"p",
                          "image":"a.png"},{"box":[32,8,64,48],"prompt":"q"}]})", "t.json");
  ASSERT_TRUE(r.ok()) << r.status().toString();
  const Layout& L = r.value();
  EXPECT_EQ(L.width, 64);
  EXPECT_EQ(L.height, 48);
  ASSERT_EQ(L.regions.size(), 2u);
  EXPECT_EQ(L.regions[0].x0, 0);
  EXPECT_EQ(L.regions[0].x1, 32);
  EXPECT_EQ(L.regions[0].y1, 48);
  EXPECT_EQ(L.regions[0].image_path, "a.png");
  at::Tensor g = regionGroups(L, 6, 8);   // latent grid 8×6
  EXPECT_EQ(g[0].item<int64_t>(), 1);
  EXPECT_EQ(g[7].item<int64_t>(), 0);     // x = 7 (px 60), y = 0 (px 4): outside both (region 1 starts at y 8)
  EXPECT_EQ(g[8 + 7].item<int64_t>(), 2);
}

TEST(Layout, RejectsBadInput) {
  EXPECT_FALSE(parseLayout("{", "x.json").ok());
  EXPECT_FALSE(parseLayout(R"({"height":64})", "x.json").ok());
  auto r = parseLayout(R"({"width":64,"height":64,"regions":[{"box":[8,8,9,9]}]})", "x.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("x.json"), std::string::npos);
}

TEST(RegionalAttention, EveryRowHasAnAllowedKeyAndUncondSeesOnlyFirstBlock) {
  auto L = parseLayout(R"({"width":64,"height":64,"prompt":"g","regions":[{"box":[0,0,32,64],"prompt":"a"},
                          {"box":[32,0,64,32],"prompt":"b"}]})", "t").value();
  RegionalConfig c;
  c.layout = L;
  c.ref_region = {1};
  RegionalAttention ra(c);
  at::Tensor b = ra.bias(true, 8, 8);                 // [4,1,64,231]
  ASSERT_EQ(b.size(0), 4);
  ASSERT_EQ(b.size(3), 231);
  at::Tensor finite = at::isfinite(b);
  EXPECT_TRUE(finite.any(-1).all().item<bool>());
  EXPECT_TRUE(finite[0].narrow(-1, 0, 77).all().item<bool>());
  EXPECT_FALSE(finite[0].narrow(-1, 77, 154).any().item<bool>());
  // cond output: token (0,0) is region 0 → block 1 only; token (7,7) outside → block 0 only.
  EXPECT_TRUE(finite[2][0][0].narrow(0, 77, 77).all().item<bool>());
  EXPECT_FALSE(finite[2][0][0].narrow(0, 0, 77).any().item<bool>());
  EXPECT_TRUE(finite[2][0][63].narrow(0, 0, 77).all().item<bool>());
  // the reference branch of region 1 sees block 2 only.
  EXPECT_TRUE(finite[3][0][5].narrow(0, 154, 77).all().item<bool>());
  EXPECT_EQ(finite[3][0][5].sum().item<int64_t>(), 77);
  at::Tensor s = ra.bias(false, 8, 8);                // [4,1,64,128]
  EXPECT_TRUE(at::isfinite(s).any(-1).all().item<bool>());
  // output query (0,7) (region 1) sees reference keys of region-1 tokens only; query (0,0) (region 0) none.
  at::Tensor fs = at::isfinite(s);
  EXPECT_EQ(fs[2][0][7].narrow(0, 64, 64).sum().item<int64_t>(), 16);
  EXPECT_EQ(fs[2][0][0].narrow(0, 64, 64).sum().item<int64_t>(), 0);
}

TEST(RegionalAttention, ExtendsKeysWithReferences) {
  auto L = parseLayout(R"({"width":32,"height":32,"regions":[{"box":[0,0,32,32],"prompt":"a"}]})", "t").value();
  RegionalConfig c;
  c.layout = L;
  c.ref_region = {0};
  RegionalAttention ra(c);
  sd::AttnSite site;
  site.is_cross = false;
  site.part = sd::UNetPart::kUp;
  site.h = site.w = 4;
  sd::StepInfo st;
  at::Tensor q = at::randn({4 * 2, 16, 3}), k = at::randn({4 * 2, 16, 3}), v = at::randn({4 * 2, 16, 3});
  at::Tensor k0 = k.clone();
  ra.onQKV(site, st, q, k, v);
  ASSERT_EQ(k.size(1), 32);
  // element 0 (uncond out), head 1: own keys then the uncond reference's keys
  EXPECT_TRUE(at::equal(k[1].narrow(0, 0, 16), k0[1]));
  EXPECT_TRUE(at::equal(k[1].narrow(0, 16, 16), k0[2 + 1]));
}

TEST(MasaCtrl, TargetTakesSourceKeysAndValues) {
  MasaCtrlHook hook(2, 5, /*cfg=*/true);
  sd::AttnSite site;
  site.block_idx = 6;
  sd::StepInfo st;
  st.step = 1;
  EXPECT_FALSE(hook.wants(site, st));
  st.step = 2;
  EXPECT_TRUE(hook.wants(site, st));
  site.is_cross = true;
  EXPECT_FALSE(hook.wants(site, st));
  site.is_cross = false;
  at::Tensor q = at::randn({4 * 3, 5, 2}), k = at::randn({4 * 3, 5, 2}), v = at::randn({4 * 3, 5, 2});
  at::Tensor k0 = k.clone(), v0 = v.clone(), q0 = q.clone();
  hook.onQKV(site, st, q, k, v);
  EXPECT_TRUE(at::equal(q, q0));
  EXPECT_TRUE(at::equal(k.narrow(0, 3, 3), k0.narrow(0, 0, 3)));   // uncond tgt ← uncond src
  EXPECT_TRUE(at::equal(v.narrow(0, 9, 3), v0.narrow(0, 6, 3)));   // cond tgt ← cond src
  EXPECT_TRUE(at::equal(k.narrow(0, 6, 3), k0.narrow(0, 6, 3)));   // sources untouched
}

TEST(P2PController, IdentityMapperLeavesIdenticalMapsAndThresholdAboveOneBlocksBlend) {
  P2PConfig c;
  c.mode = P2PMode::kReplace;
  c.mapper = at::eye(77);
  c.cross_end = 5;
  c.self_end = 5;
  c.cfg = true;
  c.store_maps = true;
  P2PController ctrl(c);
  sd::AttnSite site;
  site.is_cross = true;
  site.part = sd::UNetPart::kDown;
  site.h = site.w = 2;
  sd::StepInfo st;
  at::Tensor base = at::softmax(at::randn({2, 4, 77}), -1);
  at::Tensor probs = at::cat({base, base, base, at::softmax(at::randn({2, 4, 77}), -1)});   // [4·2,4,77]
  ctrl.onProbs(site, st, probs);
  EXPECT_TRUE(at::equal(probs.narrow(0, 6, 2), base));   // cond target now equals cond source exactly
  EXPECT_TRUE(at::allclose(probs.sum(-1), at::ones({8, 4})));
  at::Tensor maps = ctrl.blendMaps();
  ASSERT_TRUE(maps.defined());
  at::Tensor tm = at::zeros({2, 77});
  tm[0][3] = 1;
  tm[1][3] = 1;
  EXPECT_EQ(localBlendMask(maps, tm, 8, 8, 1.5).sum().item<float>(), 0.f);
  EXPECT_GT(localBlendMask(maps, tm, 8, 8, 0.0).sum().item<float>(), 0.f);
}

TEST(SdEdit, BeginIndexFollowsDiffusers) {
  EXPECT_EQ(sdeditBeginIndex(10, 0.0), 10);
  EXPECT_EQ(sdeditBeginIndex(10, 1.0), 0);
  EXPECT_EQ(sdeditBeginIndex(10, 0.3), 7);
  EXPECT_EQ(sdeditBeginIndex(20, 0.55), 9);   // int(11.000000000000002) = 11
  EXPECT_EQ(sdeditBeginIndex(7, 0.5), 4);     // int(3.5) = 3
}

}  // namespace
}  // namespace atelier::edit
