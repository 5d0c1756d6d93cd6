// Single-file round trip (label "shared"): the sd15-tiny diffusers folder converted to one LDM/CompVis
// .safetensors by scripts/diffusers_to_ldm.py loads (with its configs via SdLoadOptions::config_dir) into
// bit-identical UNet, VAE and text encoder parameters, identical outputs, tokenizer and scheduler.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "atelier/module_io.h"
#include "sd/model_folder.h"
#include "single_file_util.h"
#include "support/fs_util.h"
#include "support/numeric.h"

namespace atelier::sd {
namespace {
namespace fs = std::filesystem;

void expectSameWeights(const torch::nn::Module& a, const torch::nn::Module& b, const std::string& what) {
  const TensorMap wa = moduleWeights(a), wb = moduleWeights(b);
  ASSERT_EQ(wa.size(), wb.size()) << what;
  for (const auto& [k, t] : wa) {
    auto it = wb.find(k);
    ASSERT_NE(it, wb.end()) << what << ": " << k;
    EXPECT_TRUE(t.sizes().equals(it->second.sizes()) && at::equal(t, it->second)) << what << ": " << k;
  }
}

TEST(SdSingleFile, DiffusersToLdmRoundTripIsBitIdentical) {
  ATELIER_REQUIRE_SHARED();
  if (!test::havePython3()) GTEST_SKIP() << "python3 not found; skipping the diffusers_to_ldm.py round trip";
  const std::string dir = atelier::test::sharedDir() + "/golden/sd15-tiny";
  const fs::path tmp = fs::temp_directory_path() / ("atelier_sd_single_" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  const std::string file = (tmp / "sd15-tiny.safetensors").string();
  ASSERT_EQ(test::convertToSingleFile(dir, file), "");

  auto folder = loadSdModel(dir);
  ASSERT_TRUE(folder.ok()) << folder.status().toString();
  SdLoadOptions opt;
  opt.config_dir = dir;
  auto single = loadSdModel(file, opt);
  ASSERT_TRUE(single.ok()) << single.status().toString();
  SdModel &f = *folder.value(), &s = *single.value();
  expectSameWeights(*f.unet, *s.unet, "unet");
  expectSameWeights(*f.vae, *s.vae, "vae");
  expectSameWeights(*f.text_encoder, *s.text_encoder, "text_encoder");
  EXPECT_EQ(s.tokenizer.padId(), f.tokenizer.padId());
  EXPECT_EQ(s.scheduler_class, f.scheduler_class);
  EXPECT_EQ(s.sample_size, f.sample_size);
  EXPECT_EQ(s.vae_scaling_factor, f.vae_scaling_factor);

  at::NoGradGuard ng;
  at::manual_seed(0);
  const at::Tensor ids = s.tokenizer.tokenizeBatch({"a photo of a cat"});
  const at::Tensor ctx = f.text_encoder->forward(ids);
  EXPECT_TRUE(at::equal(s.text_encoder->forward(ids), ctx));
  const at::Tensor x = at::randn({1, 4, 8, 8});
  EXPECT_TRUE(at::equal(s.unet->forward(x, 500.0, ctx), f.unet->forward(x, 500.0, ctx)));
  EXPECT_TRUE(at::equal(s.vae->decode(x), f.vae->decode(x)));

  // Without the config folder the SD 1.5 defaults do not fit this model: a clear error naming the file.
  SdLoadOptions no_cfg;
  no_cfg.tokenizer_dir = dir + "/tokenizer";
  auto bad = loadSdModel(file, no_cfg);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().toString().find(file), std::string::npos) << bad.status().toString();
  EXPECT_NE(bad.status().toString().find("--config"), std::string::npos) << bad.status().toString();
  // A config folder applies to single files only.
  auto folder_with_cfg = loadSdModel(dir, opt);
  ASSERT_FALSE(folder_with_cfg.ok());
  EXPECT_NE(folder_with_cfg.status().message().find("single-file"), std::string::npos);
  atelier::test::removeTree(tmp.string());
}

}  // namespace
}  // namespace atelier::sd
