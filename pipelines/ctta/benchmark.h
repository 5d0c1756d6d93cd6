// The continual CTTA benchmark: build the corrupted stream (reference permutation, same N images per
// corruption), run methods online (predict before update), report errors per corruption/cycle and images/s.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "atelier/param.h"
#include "atelier/status.h"
#include "ctta/classifier.h"
#include "ctta/corruptions.h"

namespace atelier::ctta {

struct BenchConfig {
  std::string model_path;                       // .safetensors (+ .json next to it)
  std::string data_path;                        // tar.gz with test/<class>/NNNN.jpg (full set or the asset subset)
  std::string permutation_path;                 // safetensors with `permutation` (default: assets)
  std::string frost_dir;                        // frost1–5 (default: assets)
  std::vector<std::string> methods = {"source", "bn", "tent"};
  std::vector<std::string> order;               // corruption names (default: standard order)
  int severity = 5;
  int64_t per_corruption = 1000, batch = 200;
  int cycles = 1;
  uint64_t seed = 0;                            // corruption seed base
  c10::Device device = c10::Device(c10::kCPU);
  std::map<std::string, ParamSet> method_params;   // per method overrides
};

struct Stream {                                 // the corrupted stream, uint8 NHWC per corruption
  std::vector<std::string> names;
  std::vector<at::Tensor> images;               // [N,H,W,3] uint8
  at::Tensor labels;                            // [N] int64 (same for every corruption)
  at::Tensor source_images;                     // float [M,3,H,W] train/ images for EATA's Fisher (undefined when the
                                                // archive has none: EATA then runs without it; never test images)
};

struct CycleResult { std::map<std::string, double> errors; double mean_error = 0; };
struct MethodResult {
  std::string name;
  std::string note;                             // caveat, e.g. "no Fisher: no source training images" (EATA)
  std::vector<CycleResult> cycles;
  double images_per_s = 0, seconds = 0;
};

using BenchProgress = std::function<void(int64_t done, int64_t total, const std::string& what)>;

// Loads data, permutation and frost images and corrupts the first N permuted images for each corruption.
Result<Stream> buildStream(const BenchConfig& cfg, const BenchProgress& progress = {});
// Runs one method over `cycles` passes of the stream without reset.
Result<MethodResult> runMethod(const std::string& method, const Classifier& source, const Stream& stream,
                               const BenchConfig& cfg, const BenchProgress& progress = {});
// {"config": …, "methods": {name: {label, [note], mean_error, errors, images_per_s, cycles: [...]}}} (fractions);
// label = "name (note)" when the method has a caveat, e.g. "eata (no Fisher: no source training images)".
nlohmann::json resultsToJson(const BenchConfig& cfg, const std::vector<MethodResult>& results);
// Display name: "eata (no Fisher: no source training images)", or the name when there is no note.
std::string methodLabel(const MethodResult& r);
// Markdown table: error % per corruption and mean (first cycle), images/s; plus per-cycle means.
std::string resultsToTable(const std::vector<MethodResult>& results);

}  // namespace atelier::ctta
