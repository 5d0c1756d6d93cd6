// Golden tests (label "shared"): tokenizer ids, text encoder hidden states and scheduler timesteps against
// ../shared/golden/sd15-tiny (diffusers/transformers, CPU fp32).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "atelier/module_io.h"
#include "atelier/safetensors.h"
#include "sd/clip_text.h"
#include "sd/scheduler.h"
#include "sd/scheduler_util.h"
#include "sd/tokenizer.h"
#include "support/numeric.h"

namespace atelier::sd {
namespace {

std::string goldenDir() { return test::sharedDir() + "/golden/sd15-tiny"; }

at::Tensor golden(const std::string& name) {
  static TensorMap cases = [] {
    auto r = loadSafetensors(goldenDir() + "/cases.safetensors");
    EXPECT_TRUE(r.ok()) << r.status().toString();
    return r.ok() ? r.value() : TensorMap{};
  }();
  auto it = cases.find(name);
  EXPECT_NE(it, cases.end()) << name;
  return it == cases.end() ? at::Tensor() : it->second;
}

nlohmann::json casesJson() {
  std::ifstream f(goldenDir() + "/cases.json");
  std::stringstream ss;
  ss << f.rdbuf();
  return nlohmann::json::parse(sanitizeNonFiniteJson(ss.str()));
}

TEST(GoldenSd15Tiny, TokenizerIdsExact) {
  ATELIER_REQUIRE_SHARED();
  auto tok = ClipTokenizer::fromFolder(goldenDir() + "/tokenizer");
  ASSERT_TRUE(tok.ok()) << tok.status().toString();
  std::vector<std::string> prompts = casesJson()["cases"]["tokenize"]["prompts"].get<std::vector<std::string>>();
  ASSERT_EQ(prompts.size(), 6u);
  const at::Tensor ids = tok->tokenizeBatch(prompts);
  const at::Tensor ref = golden("tokenize.input_ids");
  for (int64_t r = 0; r < ref.size(0); ++r) {
    EXPECT_TRUE(at::equal(ids[r], ref[r])) << "prompt " << r << " '" << prompts[r] << "'\n got " << ids[r].slice(0, 0, 40)
                                           << "\n ref " << ref[r].slice(0, 0, 40);
  }
}

TEST(GoldenSd15Tiny, TextEncoderLastAndPenultimate) {
  ATELIER_REQUIRE_SHARED();
  std::ifstream f(goldenDir() + "/text_encoder/config.json");
  std::stringstream ss;
  ss << f.rdbuf();
  auto cfg = ClipTextConfig::fromJsonText(ss.str(), "text_encoder/config.json");
  ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
  ClipTextModel model(cfg.value());
  auto weights = loadSafetensors(goldenDir() + "/text_encoder/model.safetensors");
  ASSERT_TRUE(weights.ok()) << weights.status().toString();
  LoadWeightsOptions opt;
  opt.ignore_prefixes = {"embeddings.position_ids"};
  ASSERT_TRUE(loadModuleWeights(*model, weights.value(), opt).ok());
  at::NoGradGuard ng;
  const at::Tensor ids = golden("tokenize.input_ids");
  const at::Tensor last = model->forward(ids);
  const at::Tensor pen = model->hiddenState(ids, 2, false);
  const at::Tensor ref_last = golden("text.last_hidden_state"), ref_pen = golden("text.penultimate_hidden_state");
  const double err_last = test::MaxAbsDiff(last, ref_last), err_pen = test::MaxAbsDiff(pen, ref_pen);
  std::cout << "[golden] text last max|err| " << err_last << " penultimate " << err_pen << "\n";
  EXPECT_LE(err_last, 1e-4);
  EXPECT_LE(err_pen, 1e-4 * std::max(1.0, ref_pen.abs().max().item<double>()));
  // The SD2 / clip-skip path: penultimate + final LN equals final_layer_norm(reference penultimate).
  const at::Tensor skip = model->hiddenState(ids, 2, true);
  EXPECT_LE(test::MaxAbsDiff(skip, model->final_layer_norm->forward(ref_pen)), 1e-4);
}

TEST(GoldenSd15Tiny, SchedulerTimestepsExact) {
  ATELIER_REQUIRE_SHARED();
  const auto cases = casesJson()["cases"];
  for (const auto& [name, kind] : std::vector<std::pair<std::string, SamplerKind>>{
           {"ddim", SamplerKind::kDdim}, {"euler", SamplerKind::kEuler}, {"dpmpp2m", SamplerKind::kDpmpp2m}}) {
    const auto& c = cases["pipe." + name];
    auto s = makeScheduler(kind, c["scheduler_config"].dump(), "cases.json pipe." + name);
    ASSERT_TRUE(s.ok()) << s.status().toString();
    s.value()->setTimesteps(c["steps"].get<int>());
    const at::Tensor got = at::tensor(s.value()->timesteps(), at::kDouble).to(at::kFloat);
    EXPECT_TRUE(at::equal(got, golden("pipe." + name + ".timesteps"))) << name << ": " << got;
    // The folder's own config (no timestep_spacing key) gives the same list: class defaults apply.
    std::ifstream f(goldenDir() + "/scheduler/scheduler_config.json");
    std::stringstream ss;
    ss << f.rdbuf();
    auto s2 = makeScheduler(kind, ss.str(), "scheduler_config.json");
    ASSERT_TRUE(s2.ok());
    s2.value()->setTimesteps(c["steps"].get<int>());
    EXPECT_EQ(s2.value()->timesteps(), s.value()->timesteps()) << name;
  }
}

}  // namespace
}  // namespace atelier::sd
