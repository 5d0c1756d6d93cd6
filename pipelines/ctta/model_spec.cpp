// ModelSpec JSON parsing.
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "ctta/classifier.h"

namespace atelier::ctta {

Result<ModelSpec> parseModelSpec(const std::string& json_text, const std::string& label) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const std::exception& e) {
    return Status::Corruption(label + ": invalid JSON: " + e.what());
  }
  if (!j.is_object()) return Status::Corruption(label + ": expected a JSON object");
  ModelSpec s;
  try {
    if (j.contains("arch")) s.arch = j["arch"].get<std::string>();
    if (j.contains("depth")) s.depth = j["depth"].get<int64_t>();
    if (j.contains("widen_factor")) s.widen_factor = j["widen_factor"].get<int64_t>();
    if (j.contains("num_classes")) s.num_classes = j["num_classes"].get<int64_t>();
    if (j.contains("classes")) s.classes = j["classes"].get<std::vector<std::string>>();
    if (j.contains("mean")) s.mean = j["mean"].get<std::vector<double>>();
    if (j.contains("std")) s.std = j["std"].get<std::vector<double>>();
    if (j.contains("input_size")) s.input_size = j["input_size"].get<int64_t>();
  } catch (const std::exception& e) {
    return Status::Corruption(label + ": wrong type in model JSON: " + e.what());
  }
  if (s.arch == "WideResNet" || s.arch == "wrn") s.arch = "wideresnet";
  if (s.arch != "wideresnet" && s.arch != "resnet50" && s.arch != "torchscript")
    return Status::InvalidArgument(label + ": unknown arch '" + s.arch + "' (wideresnet, resnet50, torchscript)");
  if (s.mean.size() != 3 || s.std.size() != 3) return Status::InvalidArgument(label + ": mean/std need 3 values");
  for (double v : s.std)
    if (!(v > 0)) return Status::InvalidArgument(label + ": std must be positive");
  if (s.num_classes < 1) return Status::InvalidArgument(label + ": num_classes must be >= 1");
  if (!s.classes.empty() && (int64_t)s.classes.size() != s.num_classes)
    return Status::InvalidArgument(label + ": " + std::to_string(s.classes.size()) + " class names for num_classes " +
                                   std::to_string(s.num_classes));
  if (s.arch == "wideresnet" && (s.depth < 10 || (s.depth - 4) % 6 != 0))
    return Status::InvalidArgument(label + ": WideResNet depth must be 6n+4 (got " + std::to_string(s.depth) + ")");
  return s;
}

Result<ModelSpec> loadModelSpec(const std::string& path) {
  std::ifstream f(path);
  if (!f) return Status::NotFound(path + ": cannot open model JSON");
  std::stringstream ss;
  ss << f.rdbuf();
  return parseModelSpec(ss.str(), path);
}

std::string modelSpecPathFor(const std::string& weights_path) {
  auto dot = weights_path.find_last_of('.');
  auto slash = weights_path.find_last_of('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return weights_path + ".json";
  return weights_path.substr(0, dot) + ".json";
}

}  // namespace atelier::ctta
