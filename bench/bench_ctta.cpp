// bench_ctta: CTTA benchmark (error per corruption, images/s) with an optional PyTorch-Python side-by-side run
// on the identical stream (bench/ctta_reference.py, needs python3-torch). Prints JSON; --out FILE writes it too.
// Usage: bench_ctta [--model F] [--data F] [--n 1000] [--batch 200] [--methods source,bn,tent] [--cycles 1]
//                   [--device cpu|cuda] [--threads N] [--python] [--repeat R] [--stream-cache F] [--out FILE]
// --python alternates per method: Atelier run, then the Python run of that method, R times (--repeat), so both
// see the same machine load; the ratio uses the best of the R runs on each side. --stream-cache keeps the
// corrupted stream in a safetensors file (rebuilt when its recorded settings differ).
// Step latency instead of the stream (issue 4 "Speed", GPU figures): bench_ctta --step-latency
// resnet50:224:1,resnet50:224:64,wrn16_4:32:200 [--methods tent] [--iters 20] [--device cuda] times one
// forwardAndAdapt (prediction + update) per method on random inputs with a randomly initialised network of that
// architecture (the weights do not change the cost): median and mean ms of --iters calls after one warm-up.
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "atelier/device.h"
#include "atelier/safetensors.h"
#include "bench_timing.h"
#include "ctta/classifier.h"
#include "ctta/method.h"
#include "ctta/benchmark.h"
#include "ctta/dataset.h"

using namespace atelier;

namespace {
std::string sharedDir() {
  if (const char* e = std::getenv("ATELIER_SHARED_DIR"); e && *e) return e;
  return std::string(ATELIER_CTTA_ASSETS_DIR) + "/../../../shared";
}

// The settings a stream depends on, recorded in the cache file's metadata.
std::string streamKey(const ctta::BenchConfig& c) {
  return "v2|" + c.data_path + "|" + c.permutation_path + "|" + std::to_string(c.per_corruption) + "|" +
         std::to_string(c.severity) + "|" + std::to_string(c.seed);
}

Status saveStream(const std::string& path, const ctta::Stream& s, const std::string& key) {
  std::string names;
  for (auto& n : s.names) names += (names.empty() ? "" : ",") + n;
  TensorMap t{{"images", torch::stack(s.images)}, {"labels", s.labels}};
  if (s.source_images.defined()) t["source_images"] = s.source_images;   // EATA's Fisher images travel too
  return saveSafetensors(path, t, {{"names", names}, {"key", key}});
}

// The cached stream when the file exists and was made with the same settings; NotFound otherwise.
Result<ctta::Stream> loadStream(const std::string& path, const std::string& key) {
  if (!std::filesystem::exists(path)) return Status::NotFound(path);
  ATELIER_ASSIGN_OR_RETURN(std::shared_ptr<SafetensorsFile> f, SafetensorsFile::open(path));
  const auto& meta = f->metadata();
  auto k = meta.find("key"), n = meta.find("names");
  if (k == meta.end() || k->second != key || n == meta.end()) return Status::NotFound(path + ": other settings");
  ctta::Stream s;
  std::stringstream ns(n->second);
  for (std::string t; std::getline(ns, t, ',');) s.names.push_back(t);
  ATELIER_ASSIGN_OR_RETURN(at::Tensor images, f->tensor("images"));
  ATELIER_ASSIGN_OR_RETURN(at::Tensor labels, f->tensor("labels"));
  images = images.clone();
  for (int64_t i = 0; i < images.size(0); ++i) s.images.push_back(images[i]);
  s.labels = labels.clone();
  if (f->find("source_images")) {
    ATELIER_ASSIGN_OR_RETURN(at::Tensor src, f->tensor("source_images"));
    s.source_images = src.clone();
  }
  return s;
}

// A randomly initialised classifier: "resnet50" (1000 classes, ImageNet mean/std) or "wrn<depth>_<widen>" (10).
Result<std::shared_ptr<ctta::Classifier>> randomClassifier(const std::string& arch, int64_t size) {
  ctta::ModelSpec spec;
  spec.input_size = size;
  if (arch == "resnet50") {
    spec.arch = "resnet50";
    spec.num_classes = 1000;
    spec.mean = {0.485, 0.456, 0.406};
    spec.std = {0.229, 0.224, 0.225};
  } else if (arch.rfind("wrn", 0) == 0 && std::sscanf(arch.c_str(), "wrn%ld_%ld", &spec.depth, &spec.widen_factor) == 2) {
    spec.arch = "wideresnet";
  } else {
    return Status::InvalidArgument("--step-latency: unknown arch '" + arch + "' (resnet50, wrn<depth>_<widen>)");
  }
  ATELIER_ASSIGN_OR_RETURN(std::shared_ptr<ctta::ClassifierNet> net, ctta::makeNet(spec));
  torch::NoGradGuard no_grad;
  for (auto& p : net->named_parameters()) {   // He-normal convs/linears; BN affine 1/0
    at::Tensor t = p.value();
    if (t.dim() > 1) t.normal_(0, std::sqrt(2.0 / double(t.numel() / t.size(0))));
    else t.fill_(p.key().size() >= 6 && p.key().compare(p.key().size() - 6, 6, "weight") == 0 ? 1.0 : 0.0);
  }
  for (auto& b : net->named_buffers()) b.value().fill_(b.key().find("running_var") != std::string::npos ? 1.0 : 0.0);
  return std::make_shared<ctta::Classifier>(spec, net);
}

// --step-latency: one JSON row per (spec, method).
Result<nlohmann::json> stepLatency(const std::string& specs, const std::vector<std::string>& methods, int iters,
                                   const c10::Device& dev) {
  nlohmann::json rows = nlohmann::json::array();
  std::stringstream ss(specs);
  for (std::string item; std::getline(ss, item, ',');) {
    char arch[64] = {0};
    long size = 0, batch = 0;
    if (std::sscanf(item.c_str(), "%63[^:]:%ld:%ld", arch, &size, &batch) != 3 || size <= 0 || batch <= 0)
      return Status::InvalidArgument("--step-latency: '" + item + "' is not ARCH:SIZE:BATCH");
    ATELIER_ASSIGN_OR_RETURN(std::shared_ptr<ctta::Classifier> clf, randomClassifier(arch, size));
    clf->to(dev);
    const at::Tensor x = torch::rand({batch, 3, size, size}, torch::TensorOptions().device(dev));
    for (const auto& name : methods) {
      ATELIER_ASSIGN_OR_RETURN(std::unique_ptr<ctta::CttaMethod> m, ctta::makeMethod(name, *clf, {}));
      Status st;
      const bench::TimingMs t = bench::timeMs([&]() -> Status {
        auto r = m->forwardAndAdapt(x);
        return r.ok() ? Status::Ok() : r.status();
      }, iters, dev, &st);
      if (!st.ok()) return st;
      std::fprintf(stderr, "%-10s %4ld² b%-4ld %-6s median %.2f ms\n", arch, size, batch, name.c_str(), t.median);
      rows.push_back({{"arch", arch}, {"input", size}, {"batch", batch}, {"method", name}, {"median_ms", t.median},
                      {"mean_ms", t.mean}, {"iters", t.iters}, {"images_per_s", 1000.0 * batch / t.median}});
    }
  }
  return rows;
}

// Runs bench/ctta_reference.py for one method on the saved stream; the parsed JSON or null on failure.
nlohmann::json runPython(const ctta::BenchConfig& cfg, const std::string& stream_path, const std::string& method) {
  const std::string py_out = "/tmp/atelier_ctta_py.json";
  const char* env_py = std::getenv("ATELIER_PYTHON");
  const std::string python_exe = env_py && *env_py ? env_py
                                 : std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  const std::string cmd = python_exe + " " + std::string(ATELIER_CTTA_ASSETS_DIR) + "/../../bench/ctta_reference.py --model " +
                          cfg.model_path + " --stream " + stream_path + " --batch " + std::to_string(cfg.batch) +
                          " --threads " + std::to_string(at::get_num_threads()) + " --methods " + method + " > " + py_out;
  if (std::system(cmd.c_str()) != 0) return nullptr;
  std::ifstream f(py_out);
  auto j = nlohmann::json::parse(f, nullptr, false);
  if (j.is_discarded() || !j.contains("methods") || !j["methods"].contains(method)) return nullptr;
  return j;
}
}  // namespace

int main(int argc, char** argv) {
  ctta::BenchConfig cfg;
  const std::string shared = sharedDir();
  const bool have_shared = std::filesystem::exists(shared + "/data/cifar10-jpeg.tar.gz");
  cfg.model_path = have_shared ? shared + "/models/wrn16_4_cifar10.safetensors"
                               : ctta::cttaAssetsDir() + "/wrn16_4_cifar10.safetensors";
  cfg.data_path = have_shared ? shared + "/data/cifar10-jpeg.tar.gz" : ctta::cttaAssetsDir() + "/cifar10_test_stream1000.tar.gz";
  std::string methods = "source,bn,tent", device = "cpu", out, stream_cache;
  int threads = 0, repeat = 1, iters = 20;
  std::string step_latency;
  bool python = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) { std::cerr << "missing value for " << a << "\n"; std::exit(2); }
      return argv[++i];
    };
    if (a == "--model") cfg.model_path = next();
    else if (a == "--data") cfg.data_path = next();
    else if (a == "--n") cfg.per_corruption = std::stoll(next());
    else if (a == "--batch") cfg.batch = std::stoll(next());
    else if (a == "--methods") methods = next();
    else if (a == "--cycles") cfg.cycles = std::stoi(next());
    else if (a == "--device") device = next();
    else if (a == "--threads") threads = std::stoi(next());
    else if (a == "--python") python = true;
    else if (a == "--repeat") repeat = std::max(1, std::stoi(next()));
    else if (a == "--stream-cache") stream_cache = next();
    else if (a == "--out") out = next();
    else if (a == "--step-latency") step_latency = next();
    else if (a == "--iters") iters = std::max(1, std::stoi(next()));
    else { std::cerr << "unknown option " << a << "\n"; return 2; }
  }
  configureThreads(threads);
  std::stringstream ms(methods);
  cfg.methods.clear();
  for (std::string t; std::getline(ms, t, ',');) cfg.methods.push_back(t);
  auto dev = parseDevice(device);
  if (!dev.ok()) { std::cerr << dev.status().toString() << "\n"; return 1; }
  cfg.device = *dev;
  if (!step_latency.empty()) {
    auto rows = stepLatency(step_latency, cfg.methods, iters, cfg.device);
    if (!rows.ok()) { std::cerr << rows.status().toString() << "\n"; return 1; }
    nlohmann::json j = {{"bench", "ctta_step_latency"}, {"device", device}, {"threads", at::get_num_threads()},
                        {"libtorch", libtorchVersion()}, {"step_latency", *rows}};
    std::cout << j.dump(1) << "\n";
    if (!out.empty()) std::ofstream(out) << j.dump(1) << "\n";
    return 0;
  }
  auto model = ctta::loadClassifier(cfg.model_path);
  if (!model.ok()) { std::cerr << model.status().toString() << "\n"; return 1; }
  (*model)->to(cfg.device);
  const std::string key = streamKey(cfg);
  Result<ctta::Stream> stream = stream_cache.empty() ? Result<ctta::Stream>(Status::NotFound("")) : loadStream(stream_cache, key);
  if (!stream.ok()) {
    stream = ctta::buildStream(cfg);
    if (!stream.ok()) { std::cerr << stream.status().toString() << "\n"; return 1; }
    if (!stream_cache.empty()) {
      if (auto st = saveStream(stream_cache, *stream, key); !st.ok()) std::cerr << st.toString() << "\n";
    }
  } else {
    std::fprintf(stderr, "stream from %s\n", stream_cache.c_str());
  }
  const std::string stream_path = stream_cache.empty() ? "/tmp/atelier_ctta_stream.safetensors" : stream_cache;
  if (python && stream_cache.empty()) {
    if (auto st = saveStream(stream_path, *stream, key); !st.ok()) { std::cerr << st.toString() << "\n"; return 1; }
  }
  std::vector<ctta::MethodResult> results;
  nlohmann::json py = nlohmann::json::object(), ratio = nlohmann::json::object();
  for (const auto& m : cfg.methods) {
    double best_cpp = 0, best_py = 0;
    nlohmann::json py_runs = nlohmann::json::array();
    std::vector<double> cpp_runs;
    for (int rep = 0; rep < repeat; ++rep) {
      auto r = ctta::runMethod(m, **model, *stream, cfg);
      if (!r.ok()) { std::cerr << m << ": " << r.status().toString() << "\n"; return 1; }
      std::fprintf(stderr, "%-6s mean error %.2f %%  %.1f img/s\n", m.c_str(), 100 * r->cycles.front().mean_error, r->images_per_s);
      cpp_runs.push_back(r->images_per_s);
      if (r->images_per_s > best_cpp) best_cpp = r->images_per_s;
      if (rep == 0) results.push_back(*r);
      results.back().images_per_s = best_cpp;
      if (!python || (m != "source" && m != "bn" && m != "tent")) continue;
      nlohmann::json pj = runPython(cfg, stream_path, m);
      if (pj.is_null()) { py[m] = "not run (python3-torch missing or the script failed)"; continue; }
      const double ips = pj["methods"][m]["images_per_s"].get<double>();
      std::fprintf(stderr, "%-6s python mean error %.2f %%  %.1f img/s\n", m.c_str(),
                   100 * pj["methods"][m]["mean_error"].get<double>(), ips);
      py_runs.push_back(pj["methods"][m]);
      best_py = std::max(best_py, ips);
    }
    if (best_py > 0) {
      py[m] = {{"runs", py_runs}, {"best_images_per_s", best_py}};
      ratio[m] = {{"atelier_best", best_cpp}, {"python_best", best_py}, {"ratio", best_cpp / best_py},
                  {"atelier_runs", cpp_runs}};
    }
  }
  nlohmann::json j = ctta::resultsToJson(cfg, results);
  j["table"] = ctta::resultsToTable(results);
  if (python) {
    j["python_reference"] = py;
    j["speed_ratio_vs_python"] = ratio;
  }
  std::cout << j.dump(1) << "\n";
  if (!out.empty()) std::ofstream(out) << j.dump(1) << "\n";
  return 0;
}
