// SD engine benchmark (random weights): UNet step b1/b2, VAE encode/decode, text encoder and a whole txt2img
// for the tiny (golden-sized), SD 1.5 and SD 2.1 configs. Prints JSON; never asserts timings.
// Usage: bench_sd [--device cpu|cuda] [--dtype fp32|fp16|bf16] [--iters N] [--configs tiny,sd15,sd21]
//                 [--size PX] [--steps N] [--no-txt2img] [--threads N] [--out FILE.json]
#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "atelier/device.h"
#include "sd/model_folder.h"
#include "sd/txt2img.h"

using namespace atelier;
using namespace atelier::sd;

namespace {

struct Args {
  std::string device = "cpu", dtype = "fp32", configs = "tiny,sd15,sd21", out;
  int iters = 3, steps = 20;
  int64_t size = 0;   // 0: native (64 for tiny, 512 for sd15/sd21)
  bool txt2img = true;
  int threads = 0;
};

struct Timing { double median_ms, mean_ms; int iters; };

Timing timeIt(const std::function<void()>& fn, int iters, const c10::Device& dev) {
  fn();   // warm-up
  synchronize(dev);
  std::vector<double> ms;
  for (int i = 0; i < iters; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    synchronize(dev);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::vector<double> s = ms;
  std::sort(s.begin(), s.end());
  double mean = 0;
  for (double v : ms) mean += v / ms.size();
  return {s[s.size() / 2], mean, iters};
}

struct BenchConfig { std::string name; UNetConfig unet; VaeConfig vae; ClipTextConfig text; int64_t size; };

BenchConfig tinyConfig() {
  BenchConfig c{"tiny", UNetConfig::sd15(), VaeConfig::sd(), ClipTextConfig::sd15(), 64};
  c.unet.block_out_channels = {32, 64, 64};
  c.unet.down_block_types = {"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"};
  c.unet.up_block_types = {"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"};
  c.unet.layers_per_block = {2, 2, 2};
  c.unet.num_heads = {8, 8, 8};
  c.unet.transformer_layers_per_block = {1, 1, 1};
  c.unet.cross_attention_dim = 32;
  c.unet.norm_num_groups = 8;
  c.unet.sample_size = 8;
  c.vae.block_out_channels = {16, 32, 32, 32};
  c.vae.layers_per_block = 1;
  c.vae.norm_num_groups = 8;
  c.vae.sample_size = 64;
  c.text.hidden_size = 32;
  c.text.intermediate_size = 64;
  c.text.num_heads = 4;
  c.text.num_layers = 3;
  return c;
}

// Byte-level tokenizer (ids 0..511) — enough to drive the pipeline with random weights.
ClipTokenizer byteTokenizer() {
  std::unordered_map<std::string, int64_t> vocab;
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    const bool direct = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    std::string s;
    utf8Append(direct ? b : 256 + n++, s);
    vocab[s] = b;
    vocab[s + "</w>"] = 256 + b;
  }
  vocab["<|startoftext|>"] = ClipTokenizer::kBosId;
  vocab["<|endoftext|>"] = ClipTokenizer::kEosId;
  return ClipTokenizer::fromData(vocab, {}, "<|endoftext|>", "bench").value();
}

nlohmann::json entry(const std::string& cfg, const std::string& what, const Timing& t, double ref_ms) {
  return {{"config", cfg}, {"bench", what}, {"median_ms", t.median_ms}, {"mean_ms", t.mean_ms},
          {"iters", t.iters}, {"ratio_to_ref", t.median_ms / ref_ms}};
}

Status run(const Args& a, nlohmann::json& report) {
  ATELIER_ASSIGN_OR_RETURN(c10::Device dev, parseDevice(a.device));
  ATELIER_ASSIGN_OR_RETURN(c10::ScalarType dt, parseDType(a.dtype));
  report = {{"device", a.device}, {"dtype", dtypeName(dt)}, {"libtorch", libtorchVersion()},
            {"threads", at::get_num_threads()}, {"results", nlohmann::json::array()}};
  at::NoGradGuard ng;
  // Reference in the same run: a 1024³ matmul in the bench dtype (CPU ratios are comparable across machines).
  const at::Tensor ma = at::randn({1024, 1024}).to(dev, dt), mb = at::randn({1024, 1024}).to(dev, dt);
  const double ref_ms = timeIt([&] { (void)at::mm(ma, mb); }, std::max(a.iters, 5), dev).median_ms;
  report["ref_matmul_1024_ms"] = ref_ms;
  std::vector<BenchConfig> cfgs;
  std::stringstream ss(a.configs);
  for (std::string name; std::getline(ss, name, ',');) {
    if (name == "tiny") cfgs.push_back(tinyConfig());
    else if (name == "sd15") cfgs.push_back({"sd15", UNetConfig::sd15(), VaeConfig::sd(), ClipTextConfig::sd15(), 512});
    else if (name == "sd21") cfgs.push_back({"sd21", UNetConfig::sd21(), VaeConfig::sd(), ClipTextConfig::sd21(), 512});
    else return Status::InvalidArgument("unknown config '" + name + "' (tiny, sd15, sd21)");
  }
  auto& results = report["results"];
  for (auto& c : cfgs) {
    const int64_t px = a.size > 0 ? a.size : c.size;
    c.unet.sample_size = px / 8;
    auto model = std::make_shared<SdModel>();
    model->name = c.name;
    model->tokenizer = byteTokenizer();
    model->device = dev;
    model->dtype = dt;
    model->vae_dtype = dt;
    model->sample_size = px / 8;
    model->unet = UNet2DConditionModel(c.unet);
    model->unet->to(dev, dt);
    model->vae = AutoencoderKL(c.vae);
    model->vae->to(dev, dt);
    model->text_encoder = ClipTextModel(c.text);
    model->text_encoder->to(dev, dt);
    model->scheduler_json = R"({"_class_name": "DDIMScheduler", "beta_schedule": "scaled_linear",
        "beta_start": 0.00085, "beta_end": 0.012, "steps_offset": 1, "set_alpha_to_one": false, "clip_sample": false})";
    model->scheduler_class = "DDIMScheduler";
    const std::string tag = c.name + "@" + std::to_string(px);
    const at::Tensor ids = model->tokenizer.tokenizeBatch({"a photo of a cat"}).to(dev);
    results.push_back(entry(tag, "text_encoder_b1", timeIt([&] { (void)model->text_encoder->forward(ids); }, a.iters, dev), ref_ms));
    const at::Tensor ctx1 = model->text_encoder->forward(ids);
    for (int64_t b : {1, 2}) {
      const at::Tensor x = at::randn({b, 4, px / 8, px / 8}).to(dev, dt);
      const at::Tensor ctx = ctx1.expand({b, -1, -1}).contiguous();
      results.push_back(entry(tag, "unet_step_b" + std::to_string(b),
                              timeIt([&] { (void)model->unet->forward(x, 500.0, ctx); }, a.iters, dev), ref_ms));
    }
    const at::Tensor img = at::rand({1, 3, px, px}).to(dev, dt) * 2 - 1;
    const at::Tensor lat = at::randn({1, 4, px / 8, px / 8}).to(dev, dt);
    results.push_back(entry(tag, "vae_encode_b1", timeIt([&] { (void)model->vae->encode(img); }, a.iters, dev), ref_ms));
    results.push_back(entry(tag, "vae_decode_b1", timeIt([&] { (void)model->vae->decode(lat); }, a.iters, dev), ref_ms));
    if (a.txt2img) {
      ATELIER_ASSIGN_OR_RETURN(auto sched, model->makeScheduler(SamplerKind::kDdim));
      Txt2ImgRequest req;
      req.prompt = "a photo of a cat";
      req.steps = a.steps;
      Status st;
      auto t = timeIt([&] {
        auto r = txt2img(*model, *sched, req);
        if (!r.ok()) st = r.status();
      }, 1, dev);
      ATELIER_RETURN_IF_ERROR(st);
      results.push_back(entry(tag, "txt2img_" + std::to_string(a.steps) + "steps_cfg", t, ref_ms));
    }
    std::cerr << "done " << tag << "\n";
  }
  return Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) { std::cerr << "missing value for " << k << "\n"; std::exit(2); }
      return argv[++i];
    };
    if (k == "--device") a.device = next();
    else if (k == "--dtype") a.dtype = next();
    else if (k == "--iters") a.iters = std::max(1, std::stoi(next()));
    else if (k == "--configs") a.configs = next();
    else if (k == "--size") a.size = std::stoll(next());
    else if (k == "--steps") a.steps = std::max(1, std::stoi(next()));
    else if (k == "--no-txt2img") a.txt2img = false;
    else if (k == "--out") a.out = next();
    else if (k == "--threads") a.threads = std::stoi(next());
    else { std::cerr << "unknown option " << k << "\n"; return 2; }
  }
  configureThreads(a.threads);
  nlohmann::json report;
  const Status st = run(a, report);
  if (!st.ok()) {
    std::cerr << "error: " << st.toString() << "\n";
    return 1;
  }
  std::cout << report.dump(2) << "\n";
  if (!a.out.empty()) std::ofstream(a.out) << report.dump(2) << "\n";
  return 0;
}
