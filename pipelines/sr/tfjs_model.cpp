// tfjs LayersModel reader: topology parsing, channel inference, manifest and shard validation.
#include "sr/tfjs_model.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace atelier::sr {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string shapeStr(const std::vector<int64_t>& s) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < s.size(); ++i) { o << (i ? "," : "") << s[i]; }
  o << "]";
  return o.str();
}

Result<std::string> readFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) { return Status::NotFound(p.string() + ": cannot open file"); }
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Maps a Keras class name to a LayerKind (PixelShuffle{s}x is the thick models' custom layer).
LayerKind kindOf(const std::string& cls, const json& cfg) {
  if (cls == "InputLayer") return LayerKind::kInput;
  if (cls == "Conv2D") return LayerKind::kConv2D;
  if (cls == "Activation" && cfg.value("activation", "") == "relu") return LayerKind::kRelu;
  if (cls == "ReLU") return LayerKind::kRelu;
  if (cls == "Concatenate") return LayerKind::kConcat;
  if (cls == "Add") return LayerKind::kAdd;
  if (cls == "UpSampling2D" && cfg.value("interpolation", "nearest") == "nearest") return LayerKind::kUpsampleNearest;
  if (cls == "MultiplyBeta") return LayerKind::kMultiplyBeta;
  if (cls.rfind("PixelShuffle", 0) == 0) return LayerKind::kPixelShuffleTF;
  return LayerKind::kInvalid;
}

Status layerError(const std::string& file, const std::string& layer, const std::string& what) {
  return Status::Unsupported(file + ": layer '" + layer + "': " + what);
}

// Parses one layer's config (kind-specific fields); channels are filled in later.
Result<LayerDesc> parseLayer(const std::string& file, const json& L) {
  LayerDesc d;
  d.class_name = L.value("class_name", "");
  const json cfg = L.contains("config") && L["config"].is_object() ? L["config"] : json::object();
  d.name = L.contains("name") && L["name"].is_string() ? L["name"].get<std::string>() : cfg.value("name", "");
  if (d.name.empty()) { return Status::Corruption(file + ": a layer has no name"); }
  d.kind = kindOf(d.class_name, cfg);
  if (d.kind == LayerKind::kInvalid) {
    return layerError(file, d.name, "unsupported layer class '" + d.class_name + "'" +
                                        (cfg.contains("activation") ? " (activation " + cfg["activation"].dump() + ")" : ""));
  }
  const json& nodes = L.contains("inbound_nodes") ? L["inbound_nodes"] : json::array();
  if (d.kind != LayerKind::kInput) {
    if (!nodes.is_array() || nodes.size() != 1 || !nodes[0].is_array() || nodes[0].empty()) {
      return layerError(file, d.name, "expected exactly one inbound node (shared layers are not supported)");
    }
    for (const json& e : nodes[0]) {
      if (!e.is_array() || e.empty() || !e[0].is_string()) {
        return Status::Corruption(file + ": layer '" + d.name + "': malformed inbound node entry " + e.dump());
      }
      if (e.size() > 2 && (e[1] != 0 || e[2] != 0)) { return layerError(file, d.name, "multi-output inbound tensor"); }
      d.inputs.push_back(e[0].get<std::string>());
    }
  }
  try {
    if (d.kind == LayerKind::kInput) {
      const json& s = cfg.at("batch_input_shape");
      if (!s.is_array() || s.size() != 4 || !s[3].is_number_integer()) {
        return layerError(file, d.name, "input shape must be [N,H,W,C] with known C, got " + s.dump());
      }
      d.channels = s[3].get<int64_t>();
    } else if (d.kind == LayerKind::kConv2D) {
      auto ks = cfg.at("kernel_size").get<std::vector<int64_t>>();
      auto st = cfg.value("strides", std::vector<int64_t>{1, 1});
      auto dl = cfg.value("dilation_rate", std::vector<int64_t>{1, 1});
      std::string pad = cfg.value("padding", "valid"), act = cfg.value("activation", "linear");
      if (ks.size() != 2 || st != std::vector<int64_t>{1, 1} || dl != std::vector<int64_t>{1, 1} ||
          cfg.value("groups", 1) != 1 || cfg.value("data_format", "channels_last") != "channels_last") {
        return layerError(file, d.name, "only stride 1, dilation 1, groups 1, channels_last Conv2D is supported");
      }
      if (ks[0] % 2 == 0 || ks[1] % 2 == 0) { return layerError(file, d.name, "even kernel sizes are not supported"); }
      if (pad != "same" && !(pad == "valid" && ks[0] == 1 && ks[1] == 1)) {
        return layerError(file, d.name, "padding '" + pad + "' is only supported for 1x1 kernels");
      }
      if (act != "linear" && act != "relu") { return layerError(file, d.name, "activation '" + act + "'"); }
      d.kernel_h = ks[0];
      d.kernel_w = ks[1];
      d.filters = cfg.at("filters").get<int64_t>();
      d.use_bias = cfg.value("use_bias", true);
      d.fused_relu = act == "relu";
    } else if (d.kind == LayerKind::kConcat) {
      int axis = cfg.value("axis", -1);
      if (axis != -1 && axis != 3) { return layerError(file, d.name, "concatenation must be on the channel axis"); }
    } else if (d.kind == LayerKind::kUpsampleNearest) {
      auto s = cfg.at("size").get<std::vector<int64_t>>();
      if (s.size() != 2 || s[0] != s[1] || s[0] < 1) { return layerError(file, d.name, "non-square upsampling"); }
      d.scale = s[0];
    } else if (d.kind == LayerKind::kPixelShuffleTF) {
      d.scale = cfg.at("scale").get<int64_t>();
      if (d.scale < 1) { return layerError(file, d.name, "bad scale"); }
    } else if (d.kind == LayerKind::kMultiplyBeta) {
      d.beta = cfg.at("beta").get<double>();
    }
  } catch (const json::exception& e) {
    return Status::Corruption(file + ": layer '" + d.name + "': bad config: " + e.what());
  }
  return d;
}

// Fills channel counts through the graph and checks that inputs precede their consumers.
Status inferChannels(const std::string& file, std::vector<LayerDesc>& layers) {
  std::map<std::string, int64_t> ch;
  for (LayerDesc& d : layers) {
    if (ch.count(d.name)) { return Status::Corruption(file + ": duplicate layer name '" + d.name + "'"); }
    std::vector<int64_t> in;
    for (const std::string& n : d.inputs) {
      auto it = ch.find(n);
      if (it == ch.end()) {
        return Status::Corruption(file + ": layer '" + d.name + "' uses '" + n + "' before it is defined");
      }
      in.push_back(it->second);
    }
    size_t want = d.kind == LayerKind::kInput ? 0 : (d.kind == LayerKind::kConcat || d.kind == LayerKind::kAdd) ? 2 : 1;
    if ((want == 2 && in.size() < 2) || (want != 2 && in.size() != want)) {
      return Status::Corruption(file + ": layer '" + d.name + "' has " + std::to_string(in.size()) + " inputs");
    }
    switch (d.kind) {
      case LayerKind::kInput: break;
      case LayerKind::kConv2D: d.in_channels = in[0]; d.channels = d.filters; break;
      case LayerKind::kConcat: d.channels = 0; for (int64_t c : in) d.channels += c; break;
      case LayerKind::kAdd:
        for (int64_t c : in) {
          if (c != in[0]) { return Status::Corruption(file + ": layer '" + d.name + "' adds mismatched channels"); }
        }
        d.channels = in[0];
        break;
      case LayerKind::kPixelShuffleTF:
        if (in[0] % (d.scale * d.scale) != 0) {
          return Status::Corruption(file + ": layer '" + d.name + "': channels not divisible by scale^2");
        }
        d.channels = in[0] / (d.scale * d.scale);
        break;
      default: d.channels = in[0]; break;
    }
    ch[d.name] = d.channels;
  }
  return Status::Ok();
}

// Reads the weight groups: shards concatenated in `paths` order, weights packed in manifest order.
Status readWeights(const fs::path& json_path, const json& manifest, TfjsModel& m) {
  const std::string file = json_path.string();
  if (!manifest.is_array() || manifest.empty()) { return Status::Corruption(file + ": weightsManifest missing or empty"); }
  for (size_t g = 0; g < manifest.size(); ++g) {
    const json& grp = manifest[g];
    if (!grp.contains("paths") || !grp["paths"].is_array() || !grp.contains("weights") || !grp["weights"].is_array()) {
      return Status::Corruption(file + ": weightsManifest[" + std::to_string(g) + "] needs 'paths' and 'weights'");
    }
    std::string bytes;
    std::string shard_names;
    for (const json& p : grp["paths"]) {
      if (!p.is_string()) { return Status::Corruption(file + ": non-string shard path"); }
      fs::path sp = json_path.parent_path() / p.get<std::string>();
      ATELIER_ASSIGN_OR_RETURN(std::string b, readFile(sp));
      bytes += b;
      shard_names += (shard_names.empty() ? "" : ", ") + p.get<std::string>();
    }
    uint64_t off = 0;
    for (const json& w : grp["weights"]) {
      std::string name = w.value("name", "");
      if (name.empty()) { return Status::Corruption(file + ": a manifest weight has no name"); }
      std::string dtype = w.value("dtype", "");
      if (dtype != "float32") {
        return Status::Corruption(file + ": weight '" + name + "': unsupported dtype '" + dtype + "' (expected float32)");
      }
      if (w.contains("quantization")) {
        return Status::Unsupported(file + ": weight '" + name + "': quantized weights are not supported");
      }
      std::vector<int64_t> shape;
      try { shape = w.at("shape").get<std::vector<int64_t>>(); } catch (const json::exception&) {
        return Status::Corruption(file + ": weight '" + name + "': missing or malformed shape");
      }
      int64_t numel = 1;
      for (int64_t s : shape) {
        if (s < 0 || s > (int64_t(1) << 32)) { return Status::Corruption(file + ": weight '" + name + "': bad shape"); }
        numel *= s;
      }
      uint64_t nbytes = uint64_t(numel) * 4;
      if (off + nbytes > bytes.size()) {
        return Status::Corruption(file + ": weight '" + name + "' " + shapeStr(shape) + " needs bytes [" +
                                  std::to_string(off) + "," + std::to_string(off + nbytes) + ") but the shards (" +
                                  shard_names + ") hold only " + std::to_string(bytes.size()) + " bytes (truncated?)");
      }
      if (m.weights.count(name)) { return Status::Corruption(file + ": duplicate weight '" + name + "'"); }
      at::Tensor t = at::empty(shape, at::kFloat);
      std::memcpy(t.data_ptr<float>(), bytes.data() + off, nbytes);
      m.weights[name] = t;
      off += nbytes;
    }
    if (off != bytes.size()) {
      return Status::Corruption(file + ": shards (" + shard_names + ") hold " + std::to_string(bytes.size()) +
                                " bytes but the manifest describes " + std::to_string(off) + " bytes");
    }
  }
  return Status::Ok();
}

// Checks every Conv2D's kernel/bias against the topology and that no weight is left unused.
Status checkWeightShapes(const TfjsModel& m) {
  std::set<std::string> used;
  for (const LayerDesc& d : m.layers) {
    if (d.kind != LayerKind::kConv2D) continue;
    std::vector<std::pair<std::string, std::vector<int64_t>>> want = {
        {d.name + "/kernel", {d.kernel_h, d.kernel_w, d.in_channels, d.filters}}};
    if (d.use_bias) want.push_back({d.name + "/bias", {d.filters}});
    for (const auto& [wn, shape] : want) {
      auto it = m.weights.find(wn);
      if (it == m.weights.end()) {
        return Status::NotFound(m.path + ": layer '" + d.name + "' needs weight '" + wn + "', which the manifest lacks");
      }
      if (it->second.sizes().vec() != shape) {
        return Status::Corruption(m.path + ": weight '" + wn + "' has shape " + shapeStr(it->second.sizes().vec()) +
                                  " but layer '" + d.name + "' needs " + shapeStr(shape));
      }
      used.insert(wn);
    }
  }
  for (const auto& kv : m.weights) {
    if (!used.count(kv.first)) { return Status::Corruption(m.path + ": weight '" + kv.first + "' belongs to no layer"); }
  }
  return Status::Ok();
}

}  // namespace

int64_t TfjsModel::scale() const {
  int64_t s = 1;
  for (const LayerDesc& d : layers) {
    if (d.kind == LayerKind::kUpsampleNearest || d.kind == LayerKind::kPixelShuffleTF) s *= d.scale;
  }
  return s;
}

bool TfjsModel::isRrdn() const {
  for (const LayerDesc& d : layers) {
    if (d.kind == LayerKind::kMultiplyBeta || d.kind == LayerKind::kPixelShuffleTF) return true;
  }
  return false;
}

Result<TfjsModel> readTfjsModel(const std::string& model_json_path) {
  const fs::path jp(model_json_path);
  const std::string file = jp.string();
  ATELIER_ASSIGN_OR_RETURN(std::string text, readFile(jp));
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) { return Status::Corruption(file + ": not valid JSON"); }
  if (j.contains("format") && j["format"] != "layers-model") {
    return Status::Unsupported(file + ": format " + j["format"].dump() + " (only layers-model is supported)");
  }
  if (!j.contains("modelTopology") || !j["modelTopology"].is_object()) {
    return Status::Corruption(file + ": missing modelTopology");
  }
  json topo = j["modelTopology"];
  if (topo.contains("model_config")) topo = topo["model_config"];
  std::string cls = topo.value("class_name", "");
  if (cls != "Functional" && cls != "Model") {
    return Status::Unsupported(file + ": model class '" + cls + "' (only Functional models are supported)");
  }
  const json cfg = topo.value("config", json::object());
  if (!cfg.contains("layers") || !cfg["layers"].is_array()) { return Status::Corruption(file + ": topology has no layers"); }
  TfjsModel m;
  m.path = file;
  for (const json& L : cfg["layers"]) {
    ATELIER_ASSIGN_OR_RETURN(LayerDesc d, parseLayer(file, L));
    m.layers.push_back(std::move(d));
  }
  auto ioName = [&](const char* key, std::string& out) -> Status {
    const json& v = cfg.contains(key) ? cfg[key] : json();
    if (!v.is_array() || v.size() != 1 || !v[0].is_array() || v[0].empty() || !v[0][0].is_string()) {
      return Status::Unsupported(file + ": expected exactly one entry in '" + key + "'");
    }
    out = v[0][0].get<std::string>();
    return Status::Ok();
  };
  ATELIER_RETURN_IF_ERROR(ioName("input_layers", m.input));
  ATELIER_RETURN_IF_ERROR(ioName("output_layers", m.output));
  ATELIER_RETURN_IF_ERROR(inferChannels(file, m.layers));
  bool have_in = false, have_out = false;
  for (const LayerDesc& d : m.layers) {
    have_in |= d.name == m.input && d.kind == LayerKind::kInput;
    have_out |= d.name == m.output;
  }
  if (!have_in || !have_out) { return Status::Corruption(file + ": input/output layer not found in the topology"); }
  ATELIER_RETURN_IF_ERROR(readWeights(jp, j.contains("weightsManifest") ? j["weightsManifest"] : json(), m));
  ATELIER_RETURN_IF_ERROR(checkWeightShapes(m));
  return m;
}

}  // namespace atelier::sr
