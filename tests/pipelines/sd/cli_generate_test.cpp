// `generate` and `tokenize` through the real CLI11 command code (app/cli/cmd_sd.cpp): the golden pipelines are
// reproduced with --init-latents from cases.safetensors and the saved latents compared (label "shared").
#include "support/fs_util.h"
#include <ATen/ATen.h>
#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

#include <filesystem>

#include "atelier/io/image_io.h"
#include "atelier/safetensors.h"
#include "cli/common.h"
#include "single_file_util.h"
#include "support/numeric.h"

namespace atelier::cli {
void addSdCommands(CLI::App& app);
}

namespace atelier {
namespace {
namespace fs = std::filesystem;

int runCli(std::vector<std::string> args) {
  CLI::App app;
  cli::addSdCommands(app);
  std::vector<char*> argv = {const_cast<char*>("atelier-cli")};
  for (auto& s : args) argv.push_back(s.data());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return cli::exitCode();
}

TEST(SdCli, GenerateReproducesGoldenPipelines) {
  ATELIER_REQUIRE_SHARED();
  const std::string dir = test::sharedDir() + "/golden/sd15-tiny";
  const fs::path tmp = fs::temp_directory_path() / ("atelier_sd_cli_" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  auto cases = loadSafetensors(dir + "/cases.safetensors");
  ASSERT_TRUE(cases.ok());
  for (const std::string s : {"ddim", "euler", "dpmpp2m"}) {
    const std::string lat = (tmp / (s + ".safetensors")).string(), png = (tmp / (s + ".png")).string();
    ASSERT_EQ(runCli({"generate", "-m", dir, "-p", "a photo of a cat", "-n", "", "--steps", "10", "--cfg-scale",
                      "7.5", "--sampler", s, "-W", "64", "-H", "64", "--init-latents",
                      dir + "/cases.safetensors:pipe.latents", "--save-latents", lat, "-o", png}),
              0);
    auto saved = loadSafetensors(lat);
    ASSERT_TRUE(saved.ok()) << saved.status().toString();
    const at::Tensor ref = cases->at("pipe." + s + ".final_latents");
    const double err = test::MaxAbsDiff(saved->at("latents"), ref), max_ref = ref.abs().max().item<double>();
    std::cout << "[golden] cli " << s << " latents max|err| " << err << " (" << err / max_ref << " rel)\n";
    EXPECT_LE(err, 1e-4 * max_ref) << s;
    auto text = io::readPngText(png);
    ASSERT_TRUE(text.ok()) << text.status().toString();
    const std::string params = text->at("parameters");
    EXPECT_EQ(params.substr(0, params.find('\n')), "a photo of a cat");
    EXPECT_NE(params.find("Negative prompt: \nSteps: 10, Sampler: "), std::string::npos) << params;
    EXPECT_NE(params.find(", CFG scale: 7.5, Seed: 0, Size: 64x64, Model: sd15-tiny"), std::string::npos) << params;
    auto img = io::loadImage(png);
    ASSERT_TRUE(img.ok());
    EXPECT_LE(test::MaxAbsDiff(img.value(), cases->at("pipe." + s + ".image")), 1.0 / 255 + 2e-3);
  }
  atelier::test::removeTree(fs::path(tmp).string());
}

// The golden DDIM pipeline through a single LDM file (scripts/diffusers_to_ldm.py) + --config for its configs.
TEST(SdCli, GenerateFromSingleFileWithConfig) {
  ATELIER_REQUIRE_SHARED();
  if (!test::havePython3()) GTEST_SKIP() << "python3 not found; skipping the single-file CLI case";
  const std::string dir = test::sharedDir() + "/golden/sd15-tiny";
  const fs::path tmp = fs::temp_directory_path() / ("atelier_sd_cli_single_" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  const std::string file = (tmp / "sd15-tiny.safetensors").string(), lat = (tmp / "lat.safetensors").string();
  ASSERT_EQ(test::convertToSingleFile(dir, file), "");
  ASSERT_EQ(runCli({"generate", "-m", file, "--config", dir, "-p", "a photo of a cat", "--steps", "10",
                    "--sampler", "ddim", "--init-latents", dir + "/cases.safetensors:pipe.latents", "--save-latents",
                    lat, "-o", (tmp / "img.safetensors").string()}),
            0);
  auto saved = loadSafetensors(lat);
  auto cases = loadSafetensors(dir + "/cases.safetensors");
  ASSERT_TRUE(saved.ok() && cases.ok());
  const at::Tensor ref = cases->at("pipe.ddim.final_latents");
  const double err = test::MaxAbsDiff(saved->at("latents"), ref), max_ref = ref.abs().max().item<double>();
  std::cout << "[golden] cli single-file ddim latents max|err| " << err << " (" << err / max_ref << " rel)\n";
  EXPECT_LE(err, 1e-4 * max_ref);
  atelier::test::removeTree(tmp.string());
}

TEST(SdCli, TokenizeAndBadArguments) {
  ATELIER_REQUIRE_SHARED();
  const std::string dir = test::sharedDir() + "/golden/sd15-tiny";
  testing::internal::CaptureStdout();
  ASSERT_EQ(runCli({"tokenize", "-m", dir, "a photo of a cat", ""}), 0);
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(out.substr(0, 40), "[[49406,320,1125,539,320,2368,49407,4940");
  EXPECT_NE(runCli({"generate", "-m", dir, "-p", "x", "--sampler", "pndm", "-o", "/tmp/x.png"}), 0);
}

}  // namespace
}  // namespace atelier
