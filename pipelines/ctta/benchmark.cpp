// CTTA benchmark runner (used by atelier-cli ctta-bench and bench/bench_ctta).
#include "ctta/benchmark.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "atelier/device.h"
#include "ctta/dataset.h"
#include "ctta/method.h"

namespace atelier::ctta {

Result<Stream> buildStream(const BenchConfig& cfg, const BenchProgress& progress) {
  const std::string assets = cttaAssetsDir();
  const std::string perm_path = cfg.permutation_path.empty() ? assets + "/permutation.safetensors" : cfg.permutation_path;
  const std::string frost_dir = cfg.frost_dir.empty() ? assets + "/frost" : cfg.frost_dir;
  if (cfg.severity < 1 || cfg.severity > 5) return Status::InvalidArgument("--severity must be 1..5");
  if (cfg.per_corruption < 1 || cfg.batch < 1) return Status::InvalidArgument("N and batch must be positive");
  ATELIER_ASSIGN_OR_RETURN(at::Tensor perm, loadPermutation(perm_path));
  if (cfg.per_corruption > perm.numel())
    return Status::InvalidArgument("N = " + std::to_string(cfg.per_corruption) + " exceeds the permutation length " +
                                   std::to_string(perm.numel()));
  ATELIER_ASSIGN_OR_RETURN(auto all, loadJpegArchive(cfg.data_path, "test", cifar10Classes(), 1000));
  ATELIER_ASSIGN_OR_RETURN(auto clean, selectByIndex(all, perm.slice(0, 0, cfg.per_corruption)));
  const CorruptionSet set = clean.images.size(1) >= 128 ? CorruptionSet::kImageNet224 : CorruptionSet::kCifar32;
  ATELIER_ASSIGN_OR_RETURN(FrostBank frost, loadFrostBank(frost_dir, set));
  Stream s;
  s.labels = clean.labels;
  s.names = cfg.order.empty() ? corruptionNames() : cfg.order;
  for (size_t i = 0; i < s.names.size(); ++i) {
    ATELIER_ASSIGN_OR_RETURN(Corruption c, parseCorruption(s.names[i]));
    if (progress) progress(int64_t(i), int64_t(s.names.size()), "corrupting " + s.names[i]);
    ATELIER_ASSIGN_OR_RETURN(at::Tensor img, corruptBatch(clean.images, clean.indices, c, cfg.severity, set, cfg.seed, &frost));
    s.images.push_back(img);
  }
  bool want_source = false;
  for (auto& m : cfg.methods) want_source |= m == "eata";
  if (want_source) {   // EATA's Fisher: 2,000 random training images when the archive has them
    auto train = loadJpegArchive(cfg.data_path, "train", cifar10Classes(), 5000);
    if (train.ok()) {
      torch::manual_seed(int64_t(cfg.seed) + 1);
      at::Tensor pick = torch::randperm(train->images.size(0), torch::kLong).slice(0, 0, 2000);
      s.source_images = toFloatNCHW(train->images.index_select(0, pick));
    } else {
      std::fprintf(stderr, "ctta: no train/ images in %s: EATA runs without its Fisher (EWC) term "
                           "(reported as \"eata (no Fisher: no source training images)\")\n", cfg.data_path.c_str());
    }
  }
  return s;
}

Result<MethodResult> runMethod(const std::string& method, const Classifier& source, const Stream& stream,
                               const BenchConfig& cfg, const BenchProgress& progress) {
  MethodContext ctx;
  ctx.seed = cfg.seed + 1;
  if (stream.source_images.defined()) ctx.source_images = stream.source_images;
  ParamSet params;
  if (auto it = cfg.method_params.find(method); it != cfg.method_params.end()) params = it->second;
  ATELIER_ASSIGN_OR_RETURN(auto m, makeMethod(method, source, params, ctx));
  MethodResult r;
  r.name = method;
  r.note = m->note();
  const int64_t n = stream.labels.size(0);
  const int64_t batches_per_domain = (n + cfg.batch - 1) / cfg.batch;
  const int64_t total = batches_per_domain * int64_t(stream.names.size()) * cfg.cycles;
  at::Tensor labels = stream.labels.to(cfg.device);
  double seconds = 0;
  int64_t done = 0, images = 0;
  for (int cyc = 0; cyc < cfg.cycles; ++cyc) {
    CycleResult cr;
    double sum = 0;
    for (size_t d = 0; d < stream.names.size(); ++d) {
      int64_t wrong = 0;
      for (int64_t b = 0; b < n; b += cfg.batch) {
        const int64_t e = std::min(n, b + cfg.batch);
        at::Tensor x = toFloatNCHW(stream.images[d].slice(0, b, e)).to(cfg.device);
        synchronize(cfg.device);
        auto t0 = std::chrono::steady_clock::now();
        ATELIER_ASSIGN_OR_RETURN(at::Tensor y, m->forwardAndAdapt(x));
        at::Tensor pred = y.argmax(1);
        synchronize(cfg.device);
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        wrong += pred.ne(labels.slice(0, b, e)).sum().item<int64_t>();
        images += e - b;
        if (progress) progress(++done, total, method + " " + stream.names[d]);
      }
      const double err = double(wrong) / double(n);
      cr.errors[stream.names[d]] = err;
      sum += err;
    }
    cr.mean_error = sum / double(stream.names.size());
    r.cycles.push_back(cr);
  }
  r.seconds = seconds;
  r.images_per_s = seconds > 0 ? double(images) / seconds : 0;
  return r;
}

nlohmann::json resultsToJson(const BenchConfig& cfg, const std::vector<MethodResult>& results) {
  nlohmann::json j;
  j["config"] = {{"model", cfg.model_path}, {"data", cfg.data_path}, {"severity", cfg.severity},
                 {"per_corruption", cfg.per_corruption}, {"batch", cfg.batch}, {"cycles", cfg.cycles},
                 {"seed", cfg.seed}, {"device", cfg.device.str()}, {"order", "standard"},
                 {"libtorch", libtorchVersion()}, {"threads", at::get_num_threads()}};
  for (const auto& r : results) {
    nlohmann::json m;
    m["label"] = methodLabel(r);
    if (!r.note.empty()) m["note"] = r.note;
    m["images_per_s"] = r.images_per_s;
    m["seconds"] = r.seconds;
    m["cycles"] = nlohmann::json::array();
    for (const auto& c : r.cycles) m["cycles"].push_back({{"mean_error", c.mean_error}, {"errors", c.errors}});
    if (!r.cycles.empty()) {
      m["mean_error"] = r.cycles.front().mean_error;
      m["errors"] = r.cycles.front().errors;
    }
    j["methods"][r.name] = m;
  }
  return j;
}

std::string methodLabel(const MethodResult& r) { return r.note.empty() ? r.name : r.name + " (" + r.note + ")"; }

std::string resultsToTable(const std::vector<MethodResult>& results) {
  if (results.empty() || results.front().cycles.empty()) return "";
  std::string out = "| method |";
  const auto& first = results.front().cycles.front().errors;
  std::vector<std::string> names;
  for (const auto& n : corruptionNames())
    if (first.count(n)) names.push_back(n);
  for (const auto& [n, v] : first)
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  for (auto& n : names) out += " " + n.substr(0, 5) + " |";
  out += " mean | img/s |\n|---|";
  for (size_t i = 0; i < names.size() + 2; ++i) out += "---|";
  out += "\n";
  char buf[64];
  for (const auto& r : results) {
    out += "| " + methodLabel(r) + " |";
    for (auto& n : names) { std::snprintf(buf, sizeof buf, " %.1f |", 100 * r.cycles.front().errors.at(n)); out += buf; }
    std::snprintf(buf, sizeof buf, " %.2f | %.1f |\n", 100 * r.cycles.front().mean_error, r.images_per_s);
    out += buf;
  }
  if (results.front().cycles.size() > 1) {
    out += "\nmean error % per cycle:\n";
    for (const auto& r : results) {
      out += methodLabel(r) + ":";
      for (const auto& c : r.cycles) { std::snprintf(buf, sizeof buf, " %.2f", 100 * c.mean_error); out += buf; }
      out += "\n";
    }
  }
  return out;
}

}  // namespace atelier::ctta
