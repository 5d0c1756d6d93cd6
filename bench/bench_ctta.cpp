// bench_ctta: CTTA benchmark (error per corruption, images/s) with an optional PyTorch-Python side-by-side run
// on the identical stream (bench/ctta_reference.py, needs python3-torch). Prints JSON; --out FILE writes it too.
// Usage: bench_ctta [--model F] [--data F] [--n 1000] [--batch 200] [--methods source,bn,tent] [--cycles 1]
//                   [--device cpu|cuda] [--threads N] [--python] [--out FILE]
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "atelier/device.h"
#include "atelier/safetensors.h"
#include "ctta/benchmark.h"
#include "ctta/dataset.h"

using namespace atelier;

namespace {
std::string sharedDir() {
  if (const char* e = std::getenv("ATELIER_SHARED_DIR"); e && *e) return e;
  return std::string(ATELIER_CTTA_ASSETS_DIR) + "/../../../shared";
}
}  // namespace

int main(int argc, char** argv) {
  ctta::BenchConfig cfg;
  const std::string shared = sharedDir();
  const bool have_shared = std::filesystem::exists(shared + "/data/cifar10-jpeg.tar.gz");
  cfg.model_path = have_shared ? shared + "/models/wrn16_4_cifar10.safetensors"
                               : ctta::cttaAssetsDir() + "/wrn16_4_cifar10.safetensors";
  cfg.data_path = have_shared ? shared + "/data/cifar10-jpeg.tar.gz" : ctta::cttaAssetsDir() + "/cifar10_test_stream1000.tar.gz";
  std::string methods = "source,bn,tent", device = "cpu", out, py;
  int threads = 0;
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
    else if (a == "--out") out = next();
    else { std::cerr << "unknown option " << a << "\n"; return 2; }
  }
  configureThreads(threads);
  std::stringstream ms(methods);
  cfg.methods.clear();
  for (std::string t; std::getline(ms, t, ',');) cfg.methods.push_back(t);
  auto dev = parseDevice(device);
  if (!dev.ok()) { std::cerr << dev.status().toString() << "\n"; return 1; }
  cfg.device = *dev;
  auto model = ctta::loadClassifier(cfg.model_path);
  if (!model.ok()) { std::cerr << model.status().toString() << "\n"; return 1; }
  (*model)->to(cfg.device);
  auto stream = ctta::buildStream(cfg);
  if (!stream.ok()) { std::cerr << stream.status().toString() << "\n"; return 1; }
  std::vector<ctta::MethodResult> results;
  for (const auto& m : cfg.methods) {
    auto r = ctta::runMethod(m, **model, *stream, cfg);
    if (!r.ok()) { std::cerr << m << ": " << r.status().toString() << "\n"; return 1; }
    std::fprintf(stderr, "%-6s mean error %.2f %%  %.1f img/s\n", m.c_str(), 100 * r->cycles.front().mean_error, r->images_per_s);
    results.push_back(*r);
  }
  nlohmann::json j = ctta::resultsToJson(cfg, results);
  j["table"] = ctta::resultsToTable(results);
  if (python) {   // same stream, same weights, PyTorch eager in Python
    const std::string stream_path = "/tmp/atelier_ctta_stream.safetensors", py_out = "/tmp/atelier_ctta_py.json";
    TensorMap t{{"images", torch::stack(stream->images)}, {"labels", stream->labels}};
    std::string names;
    for (auto& n : stream->names) names += (names.empty() ? "" : ",") + n;
    auto st = saveSafetensors(stream_path, t, {{"names", names}});
    if (!st.ok()) { std::cerr << st.toString() << "\n"; return 1; }
    const char* env_py = std::getenv("ATELIER_PYTHON");
    const std::string python_exe = env_py && *env_py ? env_py
                                   : std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
    const std::string cmd = python_exe + " " + std::string(ATELIER_CTTA_ASSETS_DIR) + "/../../bench/ctta_reference.py --model " +
                            cfg.model_path + " --stream " + stream_path + " --batch " + std::to_string(cfg.batch) +
                            " --threads " + std::to_string(at::get_num_threads()) + " --methods source,bn,tent > " + py_out;
    if (std::system(cmd.c_str()) == 0) {
      std::ifstream f(py_out);
      auto pyj = nlohmann::json::parse(f, nullptr, false);
      j["python_reference"] = pyj;
      for (auto& r : results)
        if (pyj.contains("methods") && pyj["methods"].contains(r.name))
          j["speed_ratio_vs_python"][r.name] = r.images_per_s / pyj["methods"][r.name]["images_per_s"].get<double>();
    } else {
      j["python_reference"] = "not run (python3-torch missing or the script failed)";
    }
  }
  std::cout << j.dump(1) << "\n";
  if (!out.empty()) std::ofstream(out) << j.dump(1) << "\n";
  return 0;
}
