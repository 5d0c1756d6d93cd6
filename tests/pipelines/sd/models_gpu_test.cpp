// UNet / VAE on CUDA in fp16 / bf16 / fp32 against CPU fp32 (label gpu; skips without a CUDA device).
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include "atelier/module_io.h"
#include "atelier/safetensors.h"
#include "support/numeric.h"
#include "sd/unet.h"
#include "sd/vae.h"
#include "tiny_models.h"

namespace atelier::sd {
namespace {

#define REQUIRE_CUDA() \
  do { if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"; } while (0)

double rel(const at::Tensor& a, const at::Tensor& ref) {
  return test::MaxAbsDiff(a.to(at::kCPU, at::kFloat), ref) / ref.abs().max().item<double>();
}

struct ProbsDtype : AttentionHook {
  at::ScalarType seen = at::kByte;
  bool wants(const AttnSite& s, const StepInfo&) const override { return s.is_cross; }
  void onProbs(const AttnSite&, const StepInfo&, at::Tensor& p) override { seen = p.scalar_type(); }
};

TEST(SdGpu, UNetLowPrecisionMatchesCpuFp32) {
  REQUIRE_CUDA();
  torch::NoGradGuard ng;
  for (const auto& cfg : {sdtest::tinySd1(), sdtest::tinySd2()}) {
    torch::manual_seed(0);
    UNet2DConditionModel ref_model(cfg);
    at::Tensor x = torch::randn({2, 4, 16, 16}), ctx = torch::randn({2, 77, cfg.cross_attention_dim});
    const at::Tensor ref = ref_model->forward(x, 321.0, ctx);
    for (auto dt : {at::kHalf, at::kBFloat16, at::kFloat}) {
      torch::manual_seed(0);
      UNet2DConditionModel m(cfg);   // same seed → same weights as ref_model
      m->to(at::Device(at::kCUDA), dt);
      at::Tensor xg = x.to(at::kCUDA, dt), cg = ctx.to(at::kCUDA, dt);
      const at::Tensor fused = m->forward(xg, 321.0, cg);
      // NMSE bounds (fp32 runs with TF32 convs); random-weight nets amplify low-precision rounding.
      const double tol = dt == at::kFloat ? 1e-4 : dt == at::kHalf ? 3e-4 : 3e-3;
      const double e = test::Nmse(fused.to(at::kCPU, at::kFloat), ref);
      std::printf("[gpu] unet %s %s fused: NMSE %.3e, max|err|/max|ref| %.3e\n",
                  cfg.use_linear_projection ? "sd2" : "sd1", c10::toString(dt), e, rel(fused, ref));
      EXPECT_EQ(fused.scalar_type(), dt);
      EXPECT_LE(e, tol);
      auto hook = std::make_shared<ProbsDtype>();
      m->setAttentionHook(hook);
      m->setAttentionBackend(AttnBackend::kExplicit);
      const at::Tensor expl = m->forward(xg, 321.0, cg);
      EXPECT_LE(test::Nmse(expl.to(at::kCPU, at::kFloat), ref), tol);
      EXPECT_EQ(hook->seen, at::kFloat);   // probabilities upcast for hooks in low precision
    }
  }
}

TEST(SdGpu, VaeLowPrecisionMatchesCpuFp32) {
  REQUIRE_CUDA();
  torch::NoGradGuard ng;
  torch::manual_seed(0);
  AutoencoderKL ref_model(sdtest::tinyVae());
  at::Tensor img = torch::rand({1, 3, 32, 32}) * 2 - 1, z = torch::randn({1, 4, 16, 16});
  const at::Tensor ref_dec = ref_model->decode(z);
  const at::Tensor ref_mean = ref_model->encode(img).first;
  for (auto dt : {at::kHalf, at::kBFloat16}) {
    torch::manual_seed(0);
    AutoencoderKL m(sdtest::tinyVae());
    m->to(at::Device(at::kCUDA), dt);
    const double tol = dt == at::kHalf ? 3e-4 : 3e-3;   // NMSE
    EXPECT_LE(test::Nmse(m->decode(z.to(at::kCUDA, dt)).to(at::kCPU, at::kFloat), ref_dec), tol);
    EXPECT_LE(test::Nmse(m->encode(img.to(at::kCUDA, dt)).first.to(at::kCPU, at::kFloat), ref_mean), tol);
    EXPECT_EQ(m->decodeTiled(z.to(at::kCUDA, dt)).sizes(), ref_dec.sizes());
  }
}

TEST(SdGpu, GoldenUNetOnCudaFp32) {
  REQUIRE_CUDA();
  const std::string dir = test::sharedDir() + "/golden/sd15-tiny";
  if (!std::filesystem::exists(dir + "/cases.safetensors")) GTEST_SKIP() << "golden data not found at " << dir;
  auto cfg = UNetConfig::fromFile(dir + "/unet/config.json");
  ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
  UNet2DConditionModel unet(cfg.value());
  auto w = loadSafetensors(dir + "/unet/diffusion_pytorch_model.safetensors");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(loadModuleWeights(*unet, w.value()).ok());
  unet->to(at::Device(at::kCUDA));
  auto cases = loadSafetensors(dir + "/cases.safetensors");
  ASSERT_TRUE(cases.ok());
  const bool tf32 = at::globalContext().allowTF32CuDNN();
  at::globalContext().setAllowTF32CuDNN(false);
  torch::NoGradGuard ng;
  at::Tensor out = unet->forward(cases->at("unet.sample").cuda(), at::scalar_tensor(500, at::kLong),
                                 cases->at("unet.encoder_hidden_states").cuda());
  at::globalContext().setAllowTF32CuDNN(tf32);
  const double e = rel(out, cases->at("unet.t500.out"));
  std::printf("[gpu] golden unet t500 fp32 cuda rel err %.3e\n", e);
  EXPECT_LE(e, 1e-4);
}

TEST(SdGpu, Sd15FullSizeFp16Smoke) {
  REQUIRE_CUDA();
  torch::NoGradGuard ng;
  torch::manual_seed(0);
  UNet2DConditionModel unet(UNetConfig::sd15());
  unet->to(at::Device(at::kCUDA), at::kHalf);
  auto opt = at::TensorOptions().device(at::kCUDA).dtype(at::kHalf);
  at::Tensor x = torch::randn({2, 4, 64, 64}, opt), ctx = torch::randn({2, 77, 768}, opt);
  at::Tensor fused = unet->forward(x, 999.0, ctx);
  EXPECT_TRUE(fused.isfinite().all().item<bool>());
  unet->setAttentionBackend(AttnBackend::kExplicit);
  at::Tensor expl = unet->forward(x, 999.0, ctx);
  const double e = test::Nmse(expl.to(at::kCPU, at::kFloat), fused.to(at::kCPU, at::kFloat));
  std::printf("[gpu] sd15 fp16 explicit vs fused: NMSE %.3e, max|diff|/max %.3e\n", e,
              rel(expl, fused.to(at::kFloat).cpu()));
  EXPECT_LE(e, 1e-3);
}

}  // namespace
}  // namespace atelier::sd
