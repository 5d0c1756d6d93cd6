// atelier-cli ctta-bench (continual CTTA benchmark) and ctta-live (adaptation on a video/camera stream).
#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "atelier/device.h"
#include "cli/common.h"
#include "ctta/benchmark.h"
#include "ctta/dataset.h"
#include "ctta/method.h"
#include "ctta/stage.h"
#ifdef ATELIER_HAVE_IO
#include "atelier/io/video_io.h"
#endif

namespace atelier::cli {
namespace {
std::vector<std::string> splitList(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string t; std::getline(ss, t, sep);)
    if (!t.empty()) out.push_back(t);
  return out;
}

// "--set tent.lr=1e-4": method-qualified parameter overrides, parsed against the method's ParamSpecs.
Status parseSets(const std::vector<std::string>& sets, std::map<std::string, ParamSet>* out, const std::string& only = "") {
  for (const auto& s : sets) {
    auto eq = s.find('='), dot = s.find('.');
    std::string method = only, key;
    if (eq == std::string::npos) return Status::InvalidArgument("--set expects [method.]param=value, got '" + s + "'");
    if (dot != std::string::npos && dot < eq) { method = s.substr(0, dot); key = s.substr(dot + 1, eq - dot - 1); }
    else key = s.substr(0, eq);
    if (method.empty()) return Status::InvalidArgument("--set " + s + ": name the method (tent.lr=…)");
    bool found = false;
    for (const auto& spec : ctta::methodParams(method)) {
      if (spec.id != key) continue;
      ATELIER_ASSIGN_OR_RETURN(ParamValue v, parseParamValue(spec, s.substr(eq + 1)));
      (*out)[method][key] = v;
      found = true;
    }
    if (!found) return Status::InvalidArgument("--set " + s + ": method '" + method + "' has no parameter '" + key + "'");
  }
  return Status::Ok();
}

Status runBench(ctta::BenchConfig cfg, const std::string& methods, const std::string& order, const std::string& device,
                const std::vector<std::string>& sets, const std::string& json_out) {
  if (order != "standard") return Status::InvalidArgument("--order: only 'standard' is supported");
  cfg.methods = splitList(methods, ',');
  for (const auto& m : cfg.methods) {
    bool ok = false;
    for (const auto& n : ctta::methodNames()) ok |= n == m;
    if (!ok) return Status::InvalidArgument("--methods: unknown method '" + m + "'");
  }
  ATELIER_ASSIGN_OR_RETURN(cfg.device, parseDevice(device));
  ATELIER_RETURN_IF_ERROR(parseSets(sets, &cfg.method_params));
  ATELIER_ASSIGN_OR_RETURN(auto model, ctta::loadClassifier(cfg.model_path));
  for (const auto& m : cfg.methods)   // e.g. a traced TorchScript module: refuse before building the stream
    if (m != "source") ATELIER_RETURN_IF_ERROR(model->netPtr()->checkAdaptable().withContext(m));
  model->to(cfg.device);
  std::fprintf(stderr, "ctta-bench: building the stream (%lld images × 15, severity %d)\n",
               (long long)cfg.per_corruption, cfg.severity);
  ATELIER_ASSIGN_OR_RETURN(auto stream, ctta::buildStream(cfg));
  std::vector<ctta::MethodResult> results;
  for (const auto& m : cfg.methods) {
    ProgressBar bar("ctta " + m);
    ATELIER_ASSIGN_OR_RETURN(auto r, ctta::runMethod(m, *model, stream, cfg, [&](int64_t d, int64_t t, const std::string& w) {
      bar.report(d, t, w);
    }));
    bar.finish();
    std::fprintf(stderr, "%s: mean error %.2f %%, %.1f img/s\n", ctta::methodLabel(r).c_str(),
                 100 * r.cycles.front().mean_error, r.images_per_s);
    results.push_back(r);
  }
  std::cout << ctta::resultsToTable(results);
  if (!json_out.empty()) {
    std::ofstream f(json_out);
    if (!f) return Status::NotFound(json_out + ": cannot write JSON");
    f << ctta::resultsToJson(cfg, results).dump(1) << "\n";
  }
  return Status::Ok();
}

Status runLive(const std::string& source, const std::string& model, const std::string& method, const std::string& inject,
               int64_t window, int64_t max_frames, const std::string& device, const std::vector<std::string>& sets) {
#ifdef ATELIER_HAVE_IO
  auto stage = ctta::makeCttaStage(method);
  if (!stage) return Status::InvalidArgument("--method: unknown method '" + method + "'");
  std::map<std::string, ParamSet> per;
  ATELIER_RETURN_IF_ERROR(parseSets(sets, &per, method));
  ParamSet values = per[method];
  if (!model.empty()) values["model"] = model;
  values["inject"] = inject;
  values["window"] = window;
  ATELIER_RETURN_IF_ERROR(configureGuarded(*stage, values));
  RunContext ctx;
  ATELIER_ASSIGN_OR_RETURN(ctx.device, parseDevice(device));
  ATELIER_ASSIGN_OR_RETURN(auto video, io::VideoSource::open(source));
  std::printf("frame,pred,label,confidence,entropy,latency_ms\n");
  for (int64_t i = 0; max_frames <= 0 || i < max_frames; ++i) {
    auto frame = video->read();
    if (!frame.ok()) {
      if (frame.status().code() == StatusCode::kNotFound) break;
      return frame.status();
    }
    Packet in;
    in.index = i;
    in.tensors["image"] = *frame;
    ATELIER_ASSIGN_OR_RETURN(Packet out, processGuarded(*stage, in, ctx));
    if (i == 0) std::fprintf(stderr, "ctta-live: method %s\n", out.text["method"].c_str());
    std::printf("%lld,%d,%s,%.4f,%.4f,%.2f\n", (long long)i, int(out.scalars["pred"]), out.text["label"].c_str(),
                out.scalars["confidence"], out.scalars["entropy"], out.scalars["latency_ms"]);
    std::fflush(stdout);
  }
  return Status::Ok();
#else
  return Status::Unsupported("ctta-live: this atelier-cli was built without atelier_io (OpenCV video input)");
#endif
}
}  // namespace

void addCttaCommands(CLI::App& app) {
  auto* bench = app.add_subcommand("ctta-bench", "Continual test-time adaptation benchmark on corrupted CIFAR-10");
  auto cfg = std::make_shared<ctta::BenchConfig>();
  const std::string assets = ctta::cttaAssetsDir();
  cfg->model_path = assets + "/wrn16_4_cifar10.safetensors";
  cfg->data_path = assets + "/cifar10_test_stream1000.tar.gz";
  auto methods = std::make_shared<std::string>("source,bn,tent,eata,cotta,vida,vdp");
  auto order = std::make_shared<std::string>("standard");
  auto device = std::make_shared<std::string>("cpu");
  auto json = std::make_shared<std::string>();
  auto sets = std::make_shared<std::vector<std::string>>();
  bench->add_option("--model", cfg->model_path,
                    "classifier .safetensors or TorchScript .pt (scripted, not traced, for adaptation); JSON next to it")->capture_default_str();
  bench->add_option("--data", cfg->data_path, "tar.gz with test/<class>/NNNN.jpg")->capture_default_str();
  bench->add_option("--methods", *methods, "comma list: source,bn,tent,eata,cotta,vida,vdp")->capture_default_str();
  bench->add_option("--severity", cfg->severity, "1..5")->capture_default_str();
  bench->add_option("--order", *order, "corruption order (standard)")->capture_default_str();
  bench->add_option("--per-corruption", cfg->per_corruption, "N images per corruption")->capture_default_str();
  bench->add_option("--batch", cfg->batch, "batch size")->capture_default_str();
  bench->add_option("--cycles", cfg->cycles, "passes over the 15 corruptions without reset")->capture_default_str();
  bench->add_option("--device", *device, "cpu | cuda | cuda:N")->capture_default_str();
  bench->add_option("--seed", cfg->seed, "corruption seed base")->capture_default_str();
  bench->add_option("--permutation", cfg->permutation_path, "safetensors with `permutation` (default: assets)");
  bench->add_option("--frost-dir", cfg->frost_dir, "frost1–5 images (default: assets)");
  bench->add_option("--set", *sets, "method parameter, e.g. tent.lr=1e-4 (repeatable)");
  bench->add_option("--json", *json, "write results JSON here");
  bench->callback([=] { runAndReport(runBench(*cfg, *methods, *order, *device, *sets, *json)); });

  auto* live = app.add_subcommand("ctta-live", "Adapt a classifier on a camera or video stream");
  auto source = std::make_shared<std::string>("webcam");
  auto model = std::make_shared<std::string>();
  auto method = std::make_shared<std::string>("tent");
  auto inject = std::make_shared<std::string>();
  auto window = std::make_shared<int64_t>(16);
  auto frames = std::make_shared<int64_t>(0);
  auto ldevice = std::make_shared<std::string>("cpu");
  auto lsets = std::make_shared<std::vector<std::string>>();
  live->add_option("--source", *source, "webcam[:N] or a video file")->capture_default_str();
  live->add_option("--model", *model,
                   "classifier .safetensors or TorchScript .pt, JSON next to it (default: the bundled WRN-16-4)");
  live->add_option("--method", *method, "source|bn|tent|eata|cotta|vida|vdp")->capture_default_str();
  live->add_option("--inject", *inject, "corruption:severity injected into every frame, e.g. fog:3");
  live->add_option("--window", *window, "sliding window (BN statistics over the last W frames)")->capture_default_str();
  live->add_option("--frames", *frames, "stop after N frames (0: until the stream ends)");
  live->add_option("--device", *ldevice, "cpu | cuda")->capture_default_str();
  live->add_option("--set", *lsets, "method parameter, e.g. lr=1e-4 (repeatable)");
  live->callback([=] { runAndReport(runLive(*source, *model, *method, *inject, *window, *frames, *ldevice, *lsets)); });

  addDemoStep("ctta.bench", [](const DemoContext& c, nlohmann::json& rep) -> Status {
    ctta::BenchConfig cfg;
    const std::string a = ctta::cttaAssetsDir();
    cfg.model_path = a + "/wrn16_4_cifar10.safetensors";
    cfg.data_path = a + "/cifar10_test_stream1000.tar.gz";
    cfg.per_corruption = c.quick ? 50 : 200;   // a quick look; `ctta-bench` runs the reference protocol
    cfg.batch = c.quick ? 50 : 200;
    ATELIER_ASSIGN_OR_RETURN(cfg.device, parseDevice(c.device));
    ATELIER_ASSIGN_OR_RETURN(auto model, ctta::loadClassifier(cfg.model_path));
    model->to(cfg.device);
    ATELIER_ASSIGN_OR_RETURN(auto stream, ctta::buildStream(cfg));
    std::vector<ctta::MethodResult> results;
    for (const auto& m : cfg.methods) {
      ATELIER_ASSIGN_OR_RETURN(auto r, ctta::runMethod(m, *model, stream, cfg));
      results.push_back(r);
    }
    rep["results"] = ctta::resultsToJson(cfg, results);
    std::ofstream(c.out_dir + "/ctta_bench.md") << ctta::resultsToTable(results);
    return Status::Ok();
  });
}

}  // namespace atelier::cli
