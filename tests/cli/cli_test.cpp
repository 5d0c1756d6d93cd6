// atelier-cli end to end: info, inspect (valid and malformed files), demo report.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>

#include "support/numeric.h"

namespace {

struct CliRun { int code; std::string out; };

// Runs the CLI with `args` (shell-quoted by the caller), capturing stdout+stderr.
CliRun cli(const std::string& args) {
  std::string cmd = std::string(ATELIER_CLI_EXE) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (p && fgets(buf.data(), buf.size(), p)) { out += buf.data(); }
  int st = p ? pclose(p) : -1;
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

TEST(Cli, InfoListsCpu) {
  CliRun r = cli("info --json");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["devices"][0]["id"], "cpu");
  EXPECT_FALSE(j["libtorch"].get<std::string>().empty());
}

TEST(Cli, InspectGoldenUnetListsEveryTensor) {
  ATELIER_REQUIRE_SHARED();
  std::string path = atelier::test::sharedDir() + "/golden/sd15-tiny/unet/diffusion_pytorch_model.safetensors";
  CliRun r = cli("inspect --json '" + path + "'");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["count"], 494);
  EXPECT_EQ(j["tensors"].size(), 494u);
  CliRun text = cli("inspect '" + path + "'");
  EXPECT_NE(text.out.find("conv_in.weight"), std::string::npos);
  EXPECT_NE(text.out.find("494 tensors"), std::string::npos);
}

TEST(Cli, InspectMalformedFileExitsOneWithTheReason) {
  auto path = (std::filesystem::temp_directory_path() / "atelier_cli_bad.safetensors").string();
  std::ofstream(path, std::ios::binary) << std::string("\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":", 13);
  CliRun r = cli("inspect '" + path + "'");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("atelier_cli_bad.safetensors"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("error:"), std::string::npos) << r.out;
  CliRun missing = cli("inspect /nonexistent/file.safetensors");
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.out.find("cannot open"), std::string::npos);
}

TEST(Cli, DemoWritesReport) {
  auto out = (std::filesystem::temp_directory_path() / "atelier_cli_demo").string();
  CliRun r = cli("demo --quick --only core.devices --out '" + out + "'");
  ASSERT_EQ(r.code, 0) << r.out;
  std::ifstream f(out + "/report.json");
  ASSERT_TRUE(f.good());
  auto j = nlohmann::json::parse(f);
  ASSERT_EQ(j["steps"].size(), 1u);
  EXPECT_EQ(j["steps"][0]["status"], "ok");
}

TEST(Cli, UnknownSubcommandFails) {
  CliRun r = cli("frobnicate");
  EXPECT_NE(r.code, 0);
}

}  // namespace
