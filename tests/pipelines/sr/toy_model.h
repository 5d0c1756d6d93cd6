// A tiny tfjs LayersModel written to disk for the SR tests, using every supported layer type, plus an
// independent reference forward pass (plain conv2d / interpolate / explicit depth_to_space loops).
#pragma once

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace atelier::test {

using json = nlohmann::json;

struct ToyModel {
  json model;                                  // model.json contents
  std::map<std::string, at::Tensor> weights;   // tfjs names, HWIO
};

inline json toyConv(const std::string& name, const std::string& in, int64_t filters, int64_t k, const char* pad = "same") {
  return {{"class_name", "Conv2D"},
          {"name", name},
          {"config", {{"name", name}, {"filters", filters}, {"kernel_size", {k, k}}, {"strides", {1, 1}},
                      {"padding", pad}, {"data_format", "channels_last"}, {"dilation_rate", {1, 1}}, {"groups", 1},
                      {"activation", "linear"}, {"use_bias", true}}},
          {"inbound_nodes", json::array({json::array({json::array({in, 0, 0, json::object()})})})}};
}

inline json toyLayer(const std::string& cls, const std::string& name, std::vector<std::string> ins, json cfg = json::object()) {
  cfg["name"] = name;
  json node = json::array();
  for (const auto& i : ins) node.push_back(json::array({i, 0, 0, json::object()}));
  return {{"class_name", cls}, {"name", name}, {"config", cfg}, {"inbound_nodes", json::array({node})}};
}

// LR(3) → c1 conv3 3→8 → r1 relu → cat[c1,r1] → c2 conv1 16→8 (valid) → mb ×0.5 → add[c1,mb]
//   → ps_conv conv3 8→12 → PixelShuffle2x → up nearest ×2 → SR conv3 3→3.  Scale 4, RF radius ≈ 3 input px.
inline ToyModel makeToyModel(uint64_t seed = 7) {
  ToyModel t;
  json layers = json::array();
  layers.push_back({{"class_name", "InputLayer"}, {"name", "LR"},
                    {"config", {{"name", "LR"}, {"batch_input_shape", {nullptr, nullptr, nullptr, 3}}}},
                    {"inbound_nodes", json::array()}});
  layers.push_back(toyConv("c1", "LR", 8, 3));
  layers.push_back(toyLayer("Activation", "r1", {"c1"}, {{"activation", "relu"}}));
  layers.push_back(toyLayer("Concatenate", "cat", {"c1", "r1"}, {{"axis", 3}}));
  layers.push_back(toyConv("c2", "cat", 8, 1, "valid"));
  layers.push_back(toyLayer("MultiplyBeta", "mb", {"c2"}, {{"beta", 0.5}}));
  layers.push_back(toyLayer("Add", "add", {"c1", "mb"}));
  layers.push_back(toyConv("ps_conv", "add", 12, 3));
  layers.push_back(toyLayer("PixelShuffle2x", "ps", {"ps_conv"}, {{"scale", 2}}));
  layers.push_back(toyLayer("UpSampling2D", "up", {"ps"}, {{"size", {2, 2}}, {"interpolation", "nearest"}}));
  layers.push_back(toyConv("SR", "up", 3, 3));
  t.model = {{"format", "layers-model"},
             {"modelTopology", {{"model_config", {{"class_name", "Functional"},
                                                  {"config", {{"name", "toy"}, {"layers", layers},
                                                              {"input_layers", {{"LR", 0, 0}}},
                                                              {"output_layers", {{"SR", 0, 0}}}}}}}}}};
  at::manual_seed(seed);
  std::vector<std::tuple<std::string, int64_t, int64_t, int64_t>> convs = {
      {"c1", 3, 3, 8}, {"c2", 1, 16, 8}, {"ps_conv", 3, 8, 12}, {"SR", 3, 3, 3}};
  json wlist = json::array();
  for (const auto& [n, k, ci, co] : convs) {
    t.weights[n + "/kernel"] = at::randn({k, k, ci, co}) * (1.0 / std::sqrt(double(k * k * ci)));
    t.weights[n + "/bias"] = at::randn({co}) * 0.1;
  }
  for (const auto& [name, w] : t.weights) {   // std::map: sorted by name, like the real manifests
    wlist.push_back({{"name", name}, {"shape", w.sizes().vec()}, {"dtype", "float32"}});
  }
  t.model["weightsManifest"] = json::array({{{"paths", {"group1-shard1of1.bin"}}, {"weights", wlist}}});
  return t;
}

// Writes model.json + shard into `dir` (the shard follows the manifest order). Returns the model.json path.
inline std::string writeToyModel(const std::filesystem::path& dir, const ToyModel& t) {
  std::filesystem::create_directories(dir);
  std::string bytes;
  for (const json& w : t.model["weightsManifest"][0]["weights"]) {
    auto it = t.weights.find(w["name"].get<std::string>());
    if (it == t.weights.end()) continue;
    at::Tensor c = it->second.contiguous();
    bytes.append(reinterpret_cast<const char*>(c.data_ptr<float>()), c.numel() * 4);
  }
  std::ofstream(dir / "group1-shard1of1.bin", std::ios::binary) << bytes;
  std::ofstream(dir / "model.json") << t.model.dump();
  return (dir / "model.json").string();
}

// Reference forward in plain ATen (NCHW), written independently of the library.
inline at::Tensor toyReference(const ToyModel& t, const at::Tensor& x) {
  auto conv = [&](const std::string& n, const at::Tensor& in) {
    at::Tensor w = t.weights.at(n + "/kernel").permute({3, 2, 0, 1}).contiguous();
    return at::conv2d(in, w, t.weights.at(n + "/bias"), 1, w.size(2) / 2);
  };
  at::Tensor c1 = conv("c1", x);
  at::Tensor cat = at::cat({c1, at::relu(c1)}, 1);
  at::Tensor add = c1 + conv("c2", cat) * 0.5;
  at::Tensor p = conv("ps_conv", add);   // [N, 12, H, W]: TF depth_to_space with C = 3
  const int64_t n = p.size(0), h = p.size(2), w = p.size(3);
  at::Tensor d = at::empty({n, 3, 2 * h, 2 * w});
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 2; ++j)
      for (int64_t c = 0; c < 3; ++c)
        d.slice(2, i, 2 * h, 2).slice(3, j, 2 * w, 2).select(1, c).copy_(p.select(1, (i * 2 + j) * 3 + c));
  at::Tensor up = at::upsample_nearest2d(d, {4 * h, 4 * w});
  return conv("SR", up);
}

}  // namespace atelier::test
