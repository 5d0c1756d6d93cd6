// Golden tests (label "shared"): full txt2img pipelines (DDIM, Euler, DPM++ 2M) from the sd15-tiny diffusers
// folder against diffusers' final latents and images, plus callback/cancellation behaviour on the same model.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "atelier/device.h"
#include "atelier/safetensors.h"
#include "atelier/stage.h"
#include "sd/model_folder.h"
#include "sd/scheduler_util.h"
#include "sd/txt2img.h"
#include "support/numeric.h"

namespace atelier {
void registerSdStages();   // sd_stages.cpp
}

namespace atelier::sd {
namespace {

std::string goldenDir() { return test::sharedDir() + "/golden/sd15-tiny"; }

const TensorMap& cases() {
  static TensorMap m = [] {
    auto r = loadSafetensors(goldenDir() + "/cases.safetensors");
    return r.ok() ? r.value() : TensorMap{};
  }();
  return m;
}

std::shared_ptr<SdModel> tinyModel() {
  static std::shared_ptr<SdModel> m = [] {
    auto r = loadSdModel(goldenDir());
    EXPECT_TRUE(r.ok()) << r.status().toString();
    return r.ok() ? r.value() : nullptr;
  }();
  return m;
}

nlohmann::json caseJson(const std::string& name) {
  std::ifstream f(goldenDir() + "/cases.json");
  std::stringstream ss;
  ss << f.rdbuf();
  return nlohmann::json::parse(sanitizeNonFiniteJson(ss.str()))["cases"][name];
}

class GoldenPipe : public ::testing::TestWithParam<std::pair<const char*, SamplerKind>> {};

TEST_P(GoldenPipe, FinalLatentsAndImage) {
  ATELIER_REQUIRE_SHARED();
  const std::string name = GetParam().first;
  auto model = tinyModel();
  ASSERT_NE(model, nullptr);
  const auto c = caseJson("pipe." + name);
  auto sched = makeScheduler(GetParam().second, c["scheduler_config"].dump(), "cases.json pipe." + name);
  ASSERT_TRUE(sched.ok()) << sched.status().toString();
  Txt2ImgRequest req;
  req.prompt = c["prompt"].get<std::string>();
  req.negative_prompt = c["negative_prompt"].get<std::string>();
  req.steps = c["steps"].get<int>();
  req.cfg_scale = c["guidance_scale"].get<double>();
  req.width = c["width"].get<int64_t>();
  req.height = c["height"].get<int64_t>();
  req.init_latents = cases().at("pipe.latents");
  int calls = 0;
  auto r = txt2img(*model, *sched.value(), req, [&](const StepInfo& s, at::Tensor&, const at::Tensor& x0) {
    EXPECT_EQ(s.step, calls++);
    EXPECT_EQ(x0.sizes(), req.init_latents.sizes());
    return true;
  });
  ASSERT_TRUE(r.ok()) << r.status().toString();
  EXPECT_EQ(calls, req.steps);
  const at::Tensor ref_lat = cases().at("pipe." + name + ".final_latents");
  const at::Tensor ref_img = cases().at("pipe." + name + ".image");
  const double max_ref = ref_lat.abs().max().item<double>();
  const double lat_err = test::MaxAbsDiff(r->latents, ref_lat), img_err = test::MaxAbsDiff(r->image, ref_img);
  std::cout << "[golden] pipe." << name << " latents max|err| " << lat_err << " (" << lat_err / max_ref
            << " of max|ref| " << max_ref << "), image max|err| " << img_err << "\n";
  EXPECT_LE(lat_err, 1e-4 * max_ref);
  EXPECT_LE(img_err, 2e-3);
}

INSTANTIATE_TEST_SUITE_P(Samplers, GoldenPipe,
                         ::testing::Values(std::make_pair("ddim", SamplerKind::kDdim),
                                           std::make_pair("euler", SamplerKind::kEuler),
                                           std::make_pair("dpmpp2m", SamplerKind::kDpmpp2m)),
                         [](const auto& info) { return std::string(info.param.first); });

TEST(GoldenPipeBehaviour, CancelSeedAndPreview) {
  ATELIER_REQUIRE_SHARED();
  auto model = tinyModel();
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->defaultSampler(), SamplerKind::kDdim);
  EXPECT_EQ(model->sample_size, 8);
  auto sched = model->makeScheduler(SamplerKind::kEuler);
  ASSERT_TRUE(sched.ok());
  Txt2ImgRequest req;
  req.prompt = "a cat";
  req.steps = 4;
  req.seed = 42;
  int calls = 0;
  auto cancelled = txt2img(*model, *sched.value(), req, [&](const StepInfo&, at::Tensor&, const at::Tensor&) {
    return ++calls < 2;
  });
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(calls, 2);
  // Same seed → same result; the noise is torch.manual_seed(seed); torch.randn.
  req.decode = false;
  auto a = txt2img(*model, *sched.value(), req), b = txt2img(*model, *sched.value(), req);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(at::equal(a->latents, b->latents));
  EXPECT_FALSE(a->image.defined());
  EXPECT_EQ(a->latents.sizes(), (std::vector<int64_t>{1, 4, 8, 8}));   // default size: sample_size × 8 = 64
  const at::Tensor preview = latentPreview(a->latents);
  EXPECT_EQ(preview.sizes(), (std::vector<int64_t>{1, 3, 8, 8}));
  EXPECT_GE(preview.min().item<double>(), 0.0);
  EXPECT_LE(preview.max().item<double>(), 1.0);
  req.width = 60;
  EXPECT_FALSE(txt2img(*model, *sched.value(), req).ok());
}

// GPU check (skips without CUDA): the same golden cases on cuda in fp32 (TF32 convolutions allowed, hence the
// looser bound) and fp16 (finite, close in NMSE).
TEST(GoldenPipeBehaviour, CudaMatchesGolden) {
  ATELIER_REQUIRE_SHARED();
  if (!cudaAvailable()) GTEST_SKIP() << "no CUDA device";
  for (c10::ScalarType dt : {c10::kFloat, c10::kHalf}) {
    SdLoadOptions opt;
    opt.device = c10::Device(c10::kCUDA, 0);
    opt.dtype = dt;
    auto model = loadSdModel(goldenDir(), opt);
    ASSERT_TRUE(model.ok()) << model.status().toString();
    for (const auto& [name, kind] : std::vector<std::pair<std::string, SamplerKind>>{
             {"ddim", SamplerKind::kDdim}, {"euler", SamplerKind::kEuler}, {"dpmpp2m", SamplerKind::kDpmpp2m}}) {
      auto sched = makeScheduler(kind, caseJson("pipe." + name)["scheduler_config"].dump(), "cases.json");
      ASSERT_TRUE(sched.ok());
      Txt2ImgRequest req;
      req.prompt = "a photo of a cat";
      req.steps = 10;
      req.init_latents = cases().at("pipe.latents");
      auto r = txt2img(*model.value(), *sched.value(), req);
      ASSERT_TRUE(r.ok()) << r.status().toString();
      const at::Tensor ref = cases().at("pipe." + name + ".final_latents");
      const double rel = test::MaxAbsDiff(r->latents, ref) / ref.abs().max().item<double>();
      const double nmse = test::Nmse(r->latents, ref);
      std::cout << "[golden] cuda " << (dt == c10::kFloat ? "fp32 " : "fp16 ") << name << " latents max|err|/max|ref| "
                << rel << " NMSE " << nmse << "\n";
      EXPECT_TRUE(at::isfinite(r->latents).all().item<bool>());
      EXPECT_LE(dt == c10::kFloat ? rel : nmse, dt == c10::kFloat ? 5e-3 : 1e-2) << name;
    }
  }
}

TEST(GoldenPipeBehaviour, Txt2ImgStage) {
  ATELIER_REQUIRE_SHARED();
  registerSdStages();
  auto stage = StageRegistry::global().create("sd.txt2img.v1");
  ASSERT_NE(stage, nullptr);
  ASSERT_TRUE(configureGuarded(*stage, {{"model", goldenDir()}, {"steps", int64_t{2}}, {"sampler", std::string("euler")}}).ok());
  Packet in;
  in.text["prompt"] = "a photo of a cat";
  struct Sink : ProgressSink {
    int reports = 0, previews = 0;
    void report(int64_t, int64_t, std::string_view) override { ++reports; }
    void preview(const at::Tensor& img) override { previews += img.size(1) == 3; }
  } sink;
  RunContext ctx;
  ctx.progress = &sink;
  auto out = processGuarded(*stage, in, ctx);
  ASSERT_TRUE(out.ok()) << out.status().toString();
  EXPECT_EQ(out->tensors.at("image").sizes(), (std::vector<int64_t>{1, 3, 64, 64}));
  EXPECT_EQ(out->text.at("sampler"), "euler");
  EXPECT_EQ(sink.reports, 2);
  EXPECT_EQ(sink.previews, 2);
  ASSERT_TRUE(configureGuarded(*stage, {{"model", goldenDir() + "/nope"}}).ok());
  EXPECT_FALSE(processGuarded(*stage, in, ctx).ok());
}

}  // namespace
}  // namespace atelier::sd
