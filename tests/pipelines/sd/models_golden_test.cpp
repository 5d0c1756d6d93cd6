// UNet and VAE against diffusers golden outputs (../shared/golden/sd15-tiny, CPU fp32; sd-engine.md §11).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include "atelier/module_io.h"
#include "atelier/safetensors.h"
#include "support/numeric.h"
#include "sd/unet.h"
#include "sd/vae.h"

namespace atelier::sd {
namespace {

std::string goldenDir() { return test::sharedDir() + "/golden/sd15-tiny"; }

#define REQUIRE_GOLDEN()                                                                             \
  do {                                                                                               \
    ATELIER_REQUIRE_SHARED();                                                                        \
    if (!std::filesystem::exists(goldenDir() + "/cases.safetensors"))                                \
      GTEST_SKIP() << "golden data not found at " << goldenDir() << " (set ATELIER_SHARED_DIR)";     \
  } while (0)

// max|a−b| / max|ref|, printed for the report.
double relErr(const at::Tensor& a, const at::Tensor& ref, const char* what) {
  const double denom = std::max(ref.abs().max().item<double>(), 1e-12);
  const double e = test::MaxAbsDiff(a, ref) / denom;
  std::printf("[golden] %-18s max|err|/max|ref| = %.3e  (max|ref| %.3f, NMSE %.3e)\n", what, e, denom,
              test::Nmse(a, ref));
  return e;
}

TensorMap loadOrFail(const std::string& path) {
  auto r = loadSafetensors(path);
  EXPECT_TRUE(r.ok()) << r.status().toString();
  return r.ok() ? r.value() : TensorMap{};
}

UNet2DConditionModel loadUNet() {
  auto cfg = UNetConfig::fromFile(goldenDir() + "/unet/config.json");
  EXPECT_TRUE(cfg.ok()) << cfg.status().toString();
  UNet2DConditionModel unet(cfg.value());
  LoadWeightsOptions opt;
  opt.source_label = "unet/diffusion_pytorch_model.safetensors";
  Status st = loadModuleWeights(*unet, loadOrFail(goldenDir() + "/unet/diffusion_pytorch_model.safetensors"), opt);
  EXPECT_TRUE(st.ok()) << st.toString();
  unet->eval();
  return unet;
}

TEST(SdGolden, UNetOutputsMatchDiffusers) {
  REQUIRE_GOLDEN();
  auto unet = loadUNet();
  EXPECT_EQ(unet->numTransformerBlocks(), 11);
  auto cases = loadOrFail(goldenDir() + "/cases.safetensors");
  const at::Tensor x = cases.at("unet.sample"), ctx = cases.at("unet.encoder_hidden_states");
  torch::NoGradGuard ng;
  for (int64_t t : {999, 500, 1}) {
    const std::string key = "unet.t" + std::to_string(t) + ".out";
    at::Tensor out = unet->forward(x, at::scalar_tensor(t, at::kLong), ctx);   // 0-dim int64, as diffusers
    ASSERT_EQ(out.sizes(), cases.at(key).sizes());
    EXPECT_LE(relErr(out, cases.at(key), key.c_str()), 1e-4);
    // Same result with a fractional-capable fp32 [B] timestep tensor.
    at::Tensor out_b = unet->forward(x, at::full({x.size(0)}, static_cast<double>(t), at::kFloat), ctx);
    EXPECT_TRUE(at::equal(out, out_b));
  }
  unet->setAttentionBackend(AttnBackend::kExplicit);
  at::Tensor out = unet->forward(x, at::scalar_tensor(500, at::kLong), ctx);
  EXPECT_LE(relErr(out, cases.at("unet.t500.out"), "unet.t500 explicit"), 1e-4);
}

TEST(SdGolden, VaeEncodeDecodeMatchDiffusers) {
  REQUIRE_GOLDEN();
  auto cfg = VaeConfig::fromFile(goldenDir() + "/vae/config.json");
  ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
  EXPECT_DOUBLE_EQ(cfg->scaling_factor, 0.18215);
  AutoencoderKL vae(cfg.value());
  auto w = loadOrFail(goldenDir() + "/vae/diffusion_pytorch_model.safetensors");
  convertDeprecatedVaeAttentionKeys(w);
  Status st = loadModuleWeights(*vae, w);
  ASSERT_TRUE(st.ok()) << st.toString();
  auto cases = loadOrFail(goldenDir() + "/cases.safetensors");
  torch::NoGradGuard ng;
  auto [mean, logvar] = vae->encode(cases.at("vae.image"));
  ASSERT_EQ(mean.sizes(), cases.at("vae.mean").sizes());
  EXPECT_LE(relErr(mean, cases.at("vae.mean"), "vae.mean"), 1e-4);
  EXPECT_LE(relErr(logvar, cases.at("vae.logvar"), "vae.logvar"), 1e-4);
  at::Tensor dec = vae->decode(cases.at("vae.latent"));
  ASSERT_EQ(dec.sizes(), cases.at("vae.decoded").sizes());
  EXPECT_LE(relErr(dec, cases.at("vae.decoded"), "vae.decoded"), 1e-4);
  // One tile covers the whole 8×8 latent: the tiled decode must be the plain decode.
  EXPECT_TRUE(at::equal(vae->decodeTiled(cases.at("vae.latent")), dec));
}

}  // namespace
}  // namespace atelier::sd
