// SD engine benchmark (random weights): UNet step b1/b2, VAE encode/decode, text encoder and a whole txt2img
// for the tiny (golden-sized), SD 1.5 and SD 2.1 configs. Prints JSON; never asserts timings.
// Usage: bench_sd [--device cpu|cuda] [--dtype fp32|fp16|bf16] [--iters N] [--configs tiny,sd15,sd21]
//                 [--size PX] [--steps N] [--no-txt2img] [--threads N] [--out FILE.json]
//        bench_sd --load-memory [--dir DIR] [--configs sd15]: writes random-weight diffusers folders (fp32 and fp16
//                 files) under DIR (default /tmp/atelier_sd_load_memory) and loads them in a child process per
//                 (file dtype → target dtype) case, reporting peak RssAnon / loaded tensor bytes.
#include <ATen/ATen.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "atelier/device.h"
#include "bench_timing.h"
#include "atelier/module_io.h"
#include "atelier/safetensors.h"
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
  bool load_memory = false;
  std::string load_dir = "/tmp/atelier_sd_load_memory";
};

struct Timing { double median_ms, mean_ms; int iters; };

Timing timeIt(const std::function<void()>& fn, int iters, const c10::Device& dev) {
  const bench::TimingMs t = bench::timeMs([&] { fn(); return Status::Ok(); }, iters, dev);
  return {t.median, t.mean, iters};
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

Result<std::vector<BenchConfig>> parseConfigs(const std::string& list) {
  std::vector<BenchConfig> cfgs;
  std::stringstream ss(list);
  for (std::string name; std::getline(ss, name, ',');) {
    if (name == "tiny") cfgs.push_back(tinyConfig());
    else if (name == "sd15") cfgs.push_back({"sd15", UNetConfig::sd15(), VaeConfig::sd(), ClipTextConfig::sd15(), 512});
    else if (name == "sd21") cfgs.push_back({"sd21", UNetConfig::sd21(), VaeConfig::sd(), ClipTextConfig::sd21(), 512});
    else return Status::InvalidArgument("unknown config '" + name + "' (tiny, sd15, sd21)");
  }
  return cfgs;
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
  ATELIER_ASSIGN_OR_RETURN(std::vector<BenchConfig> cfgs, parseConfigs(a.configs));
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

// ---- --load-memory: peak anonymous RSS while loading a diffusers folder, one child process per case ----------

int64_t rssAnonBytes() {   // RssAnon of this process from /proc/self/status (-1 when unavailable)
  char buf[4096];
  const int fd = ::open("/proc/self/status", O_RDONLY);
  if (fd < 0) return -1;
  const ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  const char* p = std::strstr(buf, "RssAnon:");
  return p ? std::strtoll(p + 8, nullptr, 10) * 1024 : -1;
}

nlohmann::json unetJson(const UNetConfig& c) {
  return {{"_class_name", "UNet2DConditionModel"}, {"in_channels", c.in_channels}, {"out_channels", c.out_channels},
          {"sample_size", c.sample_size}, {"block_out_channels", c.block_out_channels},
          {"down_block_types", c.down_block_types}, {"up_block_types", c.up_block_types},
          {"layers_per_block", c.layers_per_block}, {"attention_head_dim", c.num_heads},
          {"transformer_layers_per_block", c.transformer_layers_per_block},
          {"cross_attention_dim", c.cross_attention_dim}, {"use_linear_projection", c.use_linear_projection},
          {"upcast_attention", c.upcast_attention}, {"norm_num_groups", c.norm_num_groups}, {"norm_eps", c.norm_eps}};
}

nlohmann::json vaeJson(const VaeConfig& c) {
  return {{"_class_name", "AutoencoderKL"}, {"block_out_channels", c.block_out_channels},
          {"down_block_types", std::vector<std::string>(c.block_out_channels.size(), "DownEncoderBlock2D")},
          {"up_block_types", std::vector<std::string>(c.block_out_channels.size(), "UpDecoderBlock2D")},
          {"layers_per_block", c.layers_per_block}, {"latent_channels", c.latent_channels},
          {"norm_num_groups", c.norm_num_groups}, {"sample_size", c.sample_size}, {"scaling_factor", c.scaling_factor}};
}

nlohmann::json textJson(const ClipTextConfig& c) {
  return {{"architectures", {"CLIPTextModel"}}, {"vocab_size", c.vocab_size}, {"hidden_size", c.hidden_size},
          {"intermediate_size", c.intermediate_size}, {"num_attention_heads", c.num_heads},
          {"num_hidden_layers", c.num_layers}, {"max_position_embeddings", c.max_positions},
          {"layer_norm_eps", c.layer_norm_eps}, {"hidden_act", c.hidden_act}};
}

Status writeText(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  if (!f || !(f << text)) return Status::Internal(path + ": cannot write");
  return Status::Ok();
}

// Saves one component's random fp32 weights into <root>/fp32/<comp>/ and their fp16 copy into <root>/fp16/<comp>/.
Status writeComponent(const std::string& root, const std::string& comp, const std::string& file,
                      const nlohmann::json& cfg, torch::nn::Module& m) {
  TensorMap w = moduleWeights(m);
  for (const char* d : {"fp32", "fp16"}) {
    const std::string dir = root + "/" + d + "/" + comp;
    std::filesystem::create_directories(dir);
    ATELIER_RETURN_IF_ERROR(writeText(dir + "/config.json", cfg.dump(1)));
    if (std::string(d) == "fp16") { for (auto& [k, t] : w) t = t.to(at::kHalf); }
    ATELIER_RETURN_IF_ERROR(saveSafetensors(dir + "/" + file, w));
  }
  return Status::Ok();
}

// Writes <root>/{fp32,fp16}/ diffusers folders with random weights for `c` (skipped when already there).
Status prepareFolders(const BenchConfig& c, const std::string& root) {
  if (std::filesystem::exists(root + "/fp16/model_index.json")) return Status::Ok();
  at::NoGradGuard ng;
  { UNet2DConditionModel m(c.unet); ATELIER_RETURN_IF_ERROR(writeComponent(root, "unet", "diffusion_pytorch_model.safetensors", unetJson(c.unet), *m)); }
  { AutoencoderKL m(c.vae); ATELIER_RETURN_IF_ERROR(writeComponent(root, "vae", "diffusion_pytorch_model.safetensors", vaeJson(c.vae), *m)); }
  { ClipTextModel m(c.text); ATELIER_RETURN_IF_ERROR(writeComponent(root, "text_encoder", "model.safetensors", textJson(c.text), *m)); }
  const nlohmann::json index = {{"_class_name", "StableDiffusionPipeline"}, {"unet", {"diffusers", "UNet2DConditionModel"}},
                                {"vae", {"diffusers", "AutoencoderKL"}}, {"text_encoder", {"transformers", "CLIPTextModel"}},
                                {"tokenizer", {"transformers", "CLIPTokenizer"}}, {"scheduler", {"diffusers", "DDIMScheduler"}}};
  for (const char* d : {"fp32", "fp16"}) {   // model_index.json last: it marks a complete folder
    const std::string dir = root + "/" + d;
    std::filesystem::create_directories(dir + "/tokenizer");
    std::filesystem::create_directories(dir + "/scheduler");
    ATELIER_RETURN_IF_ERROR(writeText(dir + "/tokenizer/vocab.json", R"({"<|startoftext|>": 49406, "<|endoftext|>": 49407})"));
    ATELIER_RETURN_IF_ERROR(writeText(dir + "/tokenizer/merges.txt", "#version: 0.2\n"));
    ATELIER_RETURN_IF_ERROR(writeText(dir + "/scheduler/scheduler_config.json", R"({"_class_name": "DDIMScheduler"})"));
    ATELIER_RETURN_IF_ERROR(writeText(dir + "/model_index.json", index.dump(1)));
  }
  return Status::Ok();
}

int64_t tensorBytes(const torch::nn::Module* m) {
  int64_t n = 0;
  if (m) { for (const auto& [k, t] : moduleWeights(*m)) n += t.numel() * static_cast<int64_t>(t.element_size()); }
  return n;
}

// Child: loads `dir` in `dtype` (VAE too) while a thread samples RssAnon every 0.5 ms; prints one JSON line.
int loadMemoryChild(const std::string& dir, const std::string& dtype_name) {
  auto dt = parseDType(dtype_name);
  if (!dt.ok()) { std::cerr << dt.status().toString() << "\n"; return 2; }
  const int64_t baseline = rssAnonBytes();
  std::atomic<bool> done{false};
  std::atomic<int64_t> peak{baseline};
  std::atomic<int64_t> samples{0};
  std::thread sampler([&] {
    while (!done.load()) {
      const int64_t v = rssAnonBytes();
      if (v > peak.load()) peak.store(v);
      samples.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  });
  SdLoadOptions opt;
  opt.dtype = opt.vae_dtype = dt.value();
  const auto t0 = std::chrono::steady_clock::now();
  auto model = loadSdModel(dir, opt);
  const double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  done.store(true);
  sampler.join();
  const int64_t final_anon = rssAnonBytes();
  if (!model.ok()) { std::cerr << model.status().toString() << "\n"; return 1; }
  const auto& m = *model.value();
  const int64_t peak_anon = std::max(peak.load(), final_anon);
  const int64_t bytes = tensorBytes(m.unet.get()) + tensorBytes(m.vae.get()) + tensorBytes(m.text_encoder.get());
  const nlohmann::json j = {{"baseline_anon_bytes", baseline}, {"peak_anon_bytes", peak_anon},
                            {"final_anon_bytes", final_anon}, {"tensor_bytes", bytes},
                            {"ratio", double(peak_anon - baseline) / double(bytes)},
                            {"ratio_incl_baseline", double(peak_anon) / double(bytes)},
                            {"load_ms", load_ms}, {"samples", samples.load()}};
  std::cout << j.dump() << "\n";
  return 0;
}

std::string selfExe() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// Parent: for each (file dtype → target dtype) case, runs this program as a child and collects its JSON.
Status runLoadMemory(const Args& a, const std::vector<BenchConfig>& cfgs, nlohmann::json& report) {
  report = {{"bench", "load_memory"}, {"libtorch", libtorchVersion()}, {"threads", at::get_num_threads()},
            {"metric", "ratio = (peak RssAnon while loading - RssAnon before) / loaded tensor bytes in the target dtype"},
            {"results", nlohmann::json::array()}};
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"fp32", "fp32"}, {"fp16", "fp16"}, {"fp32", "fp16"}, {"fp32", "bf16"}};
  for (const auto& c : cfgs) {
    const std::string root = a.load_dir + "/" + c.name;
    std::cerr << "writing " << root << " (fp32 + fp16 random weights, skipped when present)\n";
    ATELIER_RETURN_IF_ERROR(prepareFolders(c, root));
    for (const auto& [file_dt, target_dt] : cases) {
      const std::string cmd = "'" + selfExe() + "' --threads " + std::to_string(at::get_num_threads()) +
                              " --load-memory-child '" + root + "/" + file_dt + "' " + target_dt;
      FILE* p = ::popen(cmd.c_str(), "r");
      if (!p) return Status::Internal("cannot start child: " + cmd);
      std::string out;
      char buf[4096];
      while (size_t n = std::fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
      if (::pclose(p) != 0) return Status::Internal("child failed: " + cmd);
      nlohmann::json r = nlohmann::json::parse(out);
      r["config"] = c.name;
      r["file_dtype"] = file_dt;
      r["target_dtype"] = target_dt;
      std::cerr << r.dump() << "\n";
      report["results"].push_back(r);
    }
  }
  return Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  bool configs_given = false;
  if (argc == 6 && std::string(argv[3]) == "--load-memory-child") {   // --threads N --load-memory-child DIR DTYPE
    configureThreads(std::stoi(argv[2]));
    return loadMemoryChild(argv[4], argv[5]);
  }
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) { std::cerr << "missing value for " << k << "\n"; std::exit(2); }
      return argv[++i];
    };
    if (k == "--device") a.device = next();
    else if (k == "--dtype") a.dtype = next();
    else if (k == "--iters") a.iters = std::max(1, std::stoi(next()));
    else if (k == "--configs") { a.configs = next(); configs_given = true; }
    else if (k == "--load-memory") a.load_memory = true;
    else if (k == "--dir") a.load_dir = next();
    else if (k == "--size") a.size = std::stoll(next());
    else if (k == "--steps") a.steps = std::max(1, std::stoi(next()));
    else if (k == "--no-txt2img") a.txt2img = false;
    else if (k == "--out") a.out = next();
    else if (k == "--threads") a.threads = std::stoi(next());
    else { std::cerr << "unknown option " << k << "\n"; return 2; }
  }
  configureThreads(a.threads);
  nlohmann::json report;
  Status st;
  if (a.load_memory) {
    auto cfgs = parseConfigs(configs_given ? a.configs : "sd15");
    st = cfgs.ok() ? runLoadMemory(a, cfgs.value(), report) : cfgs.status();
  } else {
    st = run(a, report);
  }
  if (!st.ok()) {
    std::cerr << "error: " << st.toString() << "\n";
    return 1;
  }
  std::cout << report.dump(2) << "\n";
  if (!a.out.empty()) std::ofstream(a.out) << report.dump(2) << "\n";
  return 0;
}
