// UNet / VAE unit tests with random weights (no shared data): configs, SD2 structure, strict loading, hooks,
// autograd, attention paths, dtypes, tiled decode.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cstdio>

#include "atelier/module_io.h"
#include "support/numeric.h"
#include "sd/unet.h"
#include "sd/vae.h"
#include "tiny_models.h"

namespace atelier::sd {
namespace {

using sdtest::tinySd1;
using sdtest::tinySd2;
using sdtest::tinyVae;

struct Inputs {
  at::Tensor x, ctx;
};
Inputs randomInputs(const UNetConfig& c, int64_t b, int64_t h, int64_t w) {
  torch::manual_seed(1);
  return {torch::randn({b, c.in_channels, h, w}), torch::randn({b, 77, c.cross_attention_dim})};
}

TEST(SdConfig, ParsesSd2StyleJsonAndRejectsUnsupported) {
  nlohmann::json j = {{"_class_name", "UNet2DConditionModel"},
                      {"attention_head_dim", {5, 10, 20, 20}},
                      {"block_out_channels", {320, 640, 1280, 1280}},
                      {"cross_attention_dim", 1024},
                      {"use_linear_projection", true},
                      {"upcast_attention", true},
                      {"sample_size", 96},
                      {"class_embed_type", nullptr},
                      {"only_cross_attention", false}};
  auto c = UNetConfig::fromJson(j, "unet/config.json");
  ASSERT_TRUE(c.ok()) << c.status().toString();
  EXPECT_EQ(c->num_heads, (std::vector<int64_t>{5, 10, 20, 20}));
  EXPECT_EQ(c->transformer_layers_per_block, (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_TRUE(c->use_linear_projection && c->upcast_attention);
  EXPECT_EQ(c->cross_attention_dim, 1024);
  const UNetConfig sd21 = UNetConfig::sd21();
  EXPECT_EQ(c->num_heads, sd21.num_heads);
  EXPECT_TRUE(UNetConfig::sd15().validate().ok());

  auto bad = j;
  bad["class_embed_type"] = "timestep";
  auto r = UNetConfig::fromJson(bad, "unet/config.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("class_embed_type"), std::string::npos) << r.status().toString();
  EXPECT_NE(r.status().message().find("unet/config.json"), std::string::npos);
  bad = j;
  bad["down_block_types"] = {"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "SimpleCrossAttnDownBlock2D",
                             "DownBlock2D"};
  r = UNetConfig::fromJson(bad, "cfg");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("SimpleCrossAttnDownBlock2D"), std::string::npos);
  bad = j;
  bad["attention_head_dim"] = {5, 10};
  EXPECT_FALSE(UNetConfig::fromJson(bad, "cfg").ok());
  EXPECT_FALSE(UNetConfig::fromJson(nlohmann::json::array(), "cfg").ok());

  nlohmann::json v = {{"_class_name", "AutoencoderKL"}, {"block_out_channels", {16, 32}}, {"layers_per_block", 1},
                      {"norm_num_groups", 8}, {"scaling_factor", 0.13025}, {"sample_size", 64}};
  auto vc = VaeConfig::fromJson(v, "vae/config.json");
  ASSERT_TRUE(vc.ok()) << vc.status().toString();
  EXPECT_EQ(vc->downFactor(), 2);
  EXPECT_DOUBLE_EQ(vc->scaling_factor, 0.13025);
  v["up_block_types"] = {"UpDecoderBlock2D", "AttnUpDecoderBlock2D"};
  EXPECT_FALSE(VaeConfig::fromJson(v, "vae/config.json").ok());
}

TEST(SdUNet, Sd2StructureBuildsAndRuns) {
  UNet2DConditionModel unet(tinySd2());
  auto params = unet->named_parameters();
  ASSERT_TRUE(params.contains("down_blocks.0.attentions.0.proj_in.weight"));
  EXPECT_EQ(params["down_blocks.0.attentions.0.proj_in.weight"].sizes().vec(), (std::vector<int64_t>{32, 32}));   // Linear
  EXPECT_EQ(params["down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight"].sizes().vec(),
            (std::vector<int64_t>{32, 48}));
  EXPECT_EQ(params["up_blocks.1.attentions.1.transformer_blocks.0.ff.net.0.proj.weight"].sizes().vec(),
            (std::vector<int64_t>{256, 32}));
  for (const char* k : {"time_embedding.linear_1.weight", "down_blocks.0.downsamplers.0.conv.weight",
                        "up_blocks.0.upsamplers.0.conv.weight", "up_blocks.0.resnets.1.conv_shortcut.weight",
                        "mid_block.attentions.0.transformer_blocks.0.attn1.to_out.0.bias",
                        "up_blocks.1.attentions.0.transformer_blocks.0.ff.net.2.weight", "conv_norm_out.weight"}) {
    EXPECT_TRUE(params.contains(k)) << k;
  }
  // Head counts: down 0 → 2, mid → last (4), up 1 → reversed list → 2.
  const auto& sites = unet->sites();
  ASSERT_EQ(unet->numTransformerBlocks(), 4);   // down0, mid, up1 ×2
  EXPECT_EQ(sites[0]->heads, 2);
  EXPECT_EQ(sites[0]->head_dim, 16);
  EXPECT_EQ(sites[2]->part, UNetPart::kMid);
  EXPECT_EQ(sites[2]->heads, 4);
  EXPECT_EQ(sites.back()->heads, 2);
  EXPECT_EQ(sites.back()->name, "up_blocks.1.attentions.1.transformer_blocks.0.attn2");
  torch::NoGradGuard ng;
  auto in = randomInputs(unet->config(), 2, 8, 8);
  at::Tensor out = unet->forward(in.x, at::scalar_tensor(437.25, at::kFloat), in.ctx);
  EXPECT_EQ(out.sizes(), in.x.sizes());
  EXPECT_TRUE(out.isfinite().all().item<bool>());
  // Odd latent sizes: the upsampler follows the skip's size.
  at::Tensor odd = unet->forward(torch::randn({1, 4, 9, 7}), 10.0, torch::randn({1, 5, 48}));
  EXPECT_EQ(odd.sizes().vec(), (std::vector<int64_t>{1, 4, 9, 7}));
}

TEST(SdUNet, Sd1StructureHasSixteenNamedBlocks) {
  UNet2DConditionModel unet(tinySd1());
  ASSERT_EQ(unet->numTransformerBlocks(), 16);
  const auto& s = unet->sites();
  ASSERT_EQ(s.size(), 32u);
  EXPECT_EQ(s[0]->name, "down_blocks.0.attentions.0.transformer_blocks.0.attn1");
  EXPECT_EQ(s[12]->name, "mid_block.attentions.0.transformer_blocks.0.attn1");
  EXPECT_EQ(s[12]->block_idx, 6);
  EXPECT_EQ(s[14]->name, "up_blocks.1.attentions.0.transformer_blocks.0.attn1");
  EXPECT_EQ(s[31]->block_idx, 15);
  EXPECT_TRUE(s[31]->is_cross);
  EXPECT_EQ(s[31]->part, UNetPart::kUp);
  auto p = unet->named_parameters();
  EXPECT_EQ(p["down_blocks.0.attentions.0.proj_in.weight"].sizes().vec(), (std::vector<int64_t>{16, 16, 1, 1}));   // conv
}

TEST(SdUNet, StrictLoadingNamesBadKeys) {
  UNet2DConditionModel a(tinySd2()), b(tinySd2());
  TensorMap w;
  for (const auto& kv : moduleWeights(*a)) w[kv.first] = kv.second.clone();
  ASSERT_TRUE(loadModuleWeights(*b, w).ok());
  EXPECT_TRUE(at::equal(b->named_parameters()["conv_out.weight"], w.at("conv_out.weight")));

  const std::string key = "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight";
  TensorMap missing = w;
  missing.erase(key);
  Status st = loadModuleWeights(*b, missing);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(key), std::string::npos) << st.toString();

  TensorMap extra = w;
  extra["down_blocks.0.attentions.0.transformer_blocks.0.attn3.to_q.weight"] = torch::zeros({4});
  st = loadModuleWeights(*b, extra);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("attn3.to_q.weight"), std::string::npos) << st.toString();

  TensorMap shaped = w;
  shaped[key] = torch::zeros({32, 1024});
  st = loadModuleWeights(*b, shaped);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(key), std::string::npos) << st.toString();
}

// Wants nothing.
struct IdleHook : AttentionHook {
  bool wants(const AttnSite&, const StepInfo&) const override { return false; }
};

// Wants every site (optionally cross only), records cross probabilities, optionally replaces probs by a copy.
struct RecordHook : AttentionHook {
  bool cross_only = false, replace = false;
  std::vector<std::pair<AttnSite, at::Tensor>> probs;
  int scores_calls = 0, qkv_calls = 0, out_calls = 0;
  bool wants(const AttnSite& s, const StepInfo&) const override { return !cross_only || s.is_cross; }
  void onQKV(const AttnSite&, const StepInfo&, at::Tensor&, at::Tensor&, at::Tensor&) override { ++qkv_calls; }
  void onScores(const AttnSite&, const StepInfo&, at::Tensor&) override { ++scores_calls; }
  void onProbs(const AttnSite& s, const StepInfo&, at::Tensor& p) override {
    if (s.is_cross) probs.emplace_back(s, p.detach().clone());
    if (replace) p = p.clone();
  }
  void onOutput(const AttnSite&, const StepInfo&, at::Tensor&) override { ++out_calls; }
};

struct CountFeatures : FeatureHook {
  std::vector<std::string> names;
  int step = -1;
  void onResnetOut(const std::string& n, const StepInfo& s, at::Tensor&) override {
    names.push_back(n);
    step = s.step;
  }
};

TEST(SdHooks, IdleHookIsBitIdenticalAndRecordedProbsAreDistributions) {
  UNet2DConditionModel unet(tinySd2());
  torch::NoGradGuard ng;
  auto in = randomInputs(unet->config(), 2, 8, 6);
  const at::Tensor ref = unet->forward(in.x, 500.0, in.ctx);
  unet->setAttentionHook(std::make_shared<IdleHook>());
  EXPECT_TRUE(at::equal(unet->forward(in.x, 500.0, in.ctx), ref));

  auto rec = std::make_shared<RecordHook>();
  rec->cross_only = true;
  unet->setAttentionHook(rec);
  unet->setStepInfo({3, 10, 500.0, 0.0});
  at::Tensor out = unet->forward(in.x, 500.0, in.ctx);
  EXPECT_LE(test::MaxAbsDiff(out, ref) / ref.abs().max().item<double>(), 1e-5);
  ASSERT_EQ(rec->probs.size(), 4u);   // 4 transformer blocks, one cross site each
  EXPECT_EQ(rec->qkv_calls, 4);
  EXPECT_EQ(rec->scores_calls, 4);
  EXPECT_EQ(rec->out_calls, 4);
  for (const auto& [site, p] : rec->probs) {
    EXPECT_EQ(p.sizes().vec(), (std::vector<int64_t>{2 * site.heads, site.h * site.w, 77})) << site.name;
    EXPECT_TRUE(test::AllClose(p.sum(-1), torch::ones({2 * site.heads, site.h * site.w}), 0, 1e-5)) << site.name;
  }
  EXPECT_EQ(rec->probs[0].first.h, 8);
  EXPECT_EQ(rec->probs[0].first.w, 6);
  EXPECT_EQ(rec->probs[1].first.h, 4);   // mid block at half resolution
  EXPECT_EQ(rec->probs[1].first.w, 3);

  // A hook that replaces probs with an identical tensor gives the same output as one that only watches.
  auto watch = std::make_shared<RecordHook>();
  unet->setAttentionHook(watch);
  const at::Tensor watched = unet->forward(in.x, 500.0, in.ctx);
  auto repl = std::make_shared<RecordHook>();
  repl->replace = true;
  unet->setAttentionHook(repl);
  EXPECT_TRUE(at::equal(unet->forward(in.x, 500.0, in.ctx), watched));

  auto feat = std::make_shared<CountFeatures>();
  unet->setAttentionHook(nullptr);
  unet->setFeatureHook(feat);
  EXPECT_TRUE(at::equal(unet->forward(in.x, 500.0, in.ctx), ref));
  EXPECT_EQ(feat->names.size(), 8u);   // down 1+1, mid 2, up 2+2
  EXPECT_EQ(feat->names.front(), "down_blocks.0.resnets.0");
  EXPECT_EQ(feat->names.back(), "up_blocks.1.resnets.1");
  EXPECT_EQ(feat->step, 3);
}

TEST(SdHooks, GradientFlowsToLatentsAndContext) {
  UNet2DConditionModel unet(tinySd2());
  auto in = randomInputs(unet->config(), 1, 8, 8);
  for (bool hooked : {false, true}) {
    unet->setAttentionHook(hooked ? std::make_shared<RecordHook>() : nullptr);
    at::Tensor x = in.x.clone().requires_grad_(true);
    at::Tensor ctx = in.ctx.clone().requires_grad_(true);
    unet->forward(x, 250.0, ctx).pow(2).sum().backward();
    ASSERT_TRUE(x.grad().defined());
    ASSERT_TRUE(ctx.grad().defined());
    EXPECT_TRUE(x.grad().isfinite().all().item<bool>());
    EXPECT_GT(x.grad().abs().sum().item<double>(), 0) << "hooked=" << hooked;
    EXPECT_GT(ctx.grad().abs().sum().item<double>(), 0) << "hooked=" << hooked;
  }
}

TEST(SdAttention, ExplicitAndFusedPathsAgree) {
  UNet2DConditionModel unet(tinySd2());
  torch::NoGradGuard ng;
  auto in = randomInputs(unet->config(), 2, 8, 8);
  const at::Tensor fused = unet->forward(in.x, 999.0, in.ctx);
  unet->setAttentionBackend(AttnBackend::kExplicit);
  const at::Tensor expl = unet->forward(in.x, 999.0, in.ctx);
  EXPECT_LE(test::MaxAbsDiff(fused, expl) / fused.abs().max().item<double>(), 1e-5)
      << "fused available: " << haveFusedAttention();
  // Direct check on the core with several heads and unequal token counts.
  at::Tensor q = torch::randn({2, 12, 32}), k = torch::randn({2, 7, 32}), v = torch::randn({2, 7, 32});
  EXPECT_TRUE(test::AllClose(multiHeadAttention(q, k, v, 4, false, false), multiHeadAttention(q, k, v, 4, false, true),
                             1e-5, 1e-6));
}

TEST(SdUNet, Bf16RunsCloseToFp32) {
  UNet2DConditionModel unet(tinySd2());
  torch::NoGradGuard ng;
  auto in = randomInputs(unet->config(), 1, 8, 8);
  const at::Tensor ref = unet->forward(in.x, 100.0, in.ctx);
  unet->to(at::kCPU, at::kBFloat16);
  auto rec = std::make_shared<RecordHook>();
  rec->cross_only = true;
  unet->setAttentionHook(rec);   // explicit path: scores/probs upcast to fp32
  at::Tensor out;
  try {
    out = unet->forward(in.x.to(at::kBFloat16), 100.0, in.ctx.to(at::kBFloat16));
  } catch (const c10::Error& e) {
    // Older CPU LibTorch builds lack some bf16 kernels; the GPU build covers fp16/bf16.
    if (std::string(e.what()).find("not implemented") != std::string::npos) GTEST_SKIP() << e.what();
    throw;
  }
  EXPECT_EQ(out.scalar_type(), at::kBFloat16);
  ASSERT_FALSE(rec->probs.empty());
  EXPECT_EQ(rec->probs[0].second.scalar_type(), at::kFloat);
  // LibTorch 1.13's CPU bf16 conv2d accumulates in low precision (one 3×3 conv over 32–64 channels alone has
  // NMSE 3e-4–7e-4 vs 6e-6 from rounding inputs/weights), so the whole net lands near NMSE 3e-3 here; a wrong
  // layer would be O(1). Tight low-precision bounds are checked on CUDA (test_sd_gpu).
  const double e = test::MaxAbsDiff(out, ref) / ref.abs().max().item<double>(), nmse = test::Nmse(out, ref);
  std::printf("[unit] tiny sd2 unet bf16 vs fp32 (CPU): max|err|/max|ref| = %.3e, NMSE %.3e\n", e, nmse);
  EXPECT_LE(nmse, 2e-2);
  EXPECT_LE(e, 0.3);
}

TEST(SdVae, ShapesKeysAndTiledDecode) {
  AutoencoderKL vae(tinyVae());
  auto p = vae->named_parameters();
  for (const char* k : {"encoder.down_blocks.0.downsamplers.0.conv.weight", "encoder.mid_block.attentions.0.to_q.bias",
                        "encoder.mid_block.attentions.0.group_norm.weight", "decoder.up_blocks.0.resnets.1.conv2.weight",
                        "decoder.up_blocks.0.upsamplers.0.conv.weight", "decoder.mid_block.attentions.0.to_out.0.weight",
                        "quant_conv.weight", "post_quant_conv.bias", "encoder.conv_out.weight"}) {
    EXPECT_TRUE(p.contains(k)) << k;
  }
  EXPECT_FALSE(p.contains("decoder.up_blocks.1.upsamplers.0.conv.weight"));
  EXPECT_FALSE(p.contains("encoder.down_blocks.0.resnets.1.conv1.weight"));   // encoder: layers_per_block resnets
  EXPECT_FALSE(p.contains("encoder.down_blocks.1.downsamplers.0.conv.weight"));
  torch::NoGradGuard ng;
  torch::manual_seed(2);
  auto [mean, logvar] = vae->encode(torch::rand({1, 3, 16, 12}) * 2 - 1);
  EXPECT_EQ(mean.sizes().vec(), (std::vector<int64_t>{1, 4, 8, 6}));
  EXPECT_LE(logvar.max().item<double>(), 20.0);

  at::Tensor z = torch::randn({1, 4, 20, 14});
  const at::Tensor full = vae->decode(z);
  EXPECT_EQ(full.sizes().vec(), (std::vector<int64_t>{1, 3, 40, 28}));
  TiledDecodeOptions opt;   // tile 8 latents (16 px), stride 6, blend 4 px, keep 12 px per tile
  const at::Tensor tiled = vae->decodeTiled(z, opt);
  EXPECT_EQ(tiled.sizes(), full.sizes());
  // The top-left tile is never blended: it equals a plain decode of that tile.
  const at::Tensor first = vae->decode(z.narrow(2, 0, 8).narrow(3, 0, 8)).narrow(2, 0, 12).narrow(3, 0, 12);
  EXPECT_TRUE(at::equal(tiled.narrow(2, 0, 12).narrow(3, 0, 12), first));
  // Small enough for one tile → exactly decode().
  EXPECT_TRUE(at::equal(vae->decodeTiled(z.narrow(2, 0, 8).narrow(3, 0, 8)), vae->decode(z.narrow(2, 0, 8).narrow(3, 0, 8))));
}

TEST(SdVae, RenamesDeprecatedAttentionKeys) {
  TensorMap w;
  w["encoder.mid_block.attentions.0.query.weight"] = torch::zeros({2, 2});
  w["encoder.mid_block.attentions.0.proj_attn.bias"] = torch::zeros({2});
  w["encoder.mid_block.resnets.0.conv1.weight"] = torch::zeros({1});
  EXPECT_EQ(convertDeprecatedVaeAttentionKeys(w), 2);
  EXPECT_TRUE(w.count("encoder.mid_block.attentions.0.to_q.weight"));
  EXPECT_TRUE(w.count("encoder.mid_block.attentions.0.to_out.0.bias"));
  EXPECT_TRUE(w.count("encoder.mid_block.resnets.0.conv1.weight"));
  EXPECT_EQ(w.size(), 3u);
}

}  // namespace
}  // namespace atelier::sd
