// TensorFlow.js LayersModel reader: model.json (Keras functional topology + weightsManifest) and its shards.
// Only the layer types the @upscalerjs ESRGAN models use are accepted; anything else is a clear Unsupported error.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "atelier/safetensors.h"
#include "atelier/status.h"

namespace atelier::sr {

enum class LayerKind { kInvalid = 0, kInput, kConv2D, kRelu, kConcat, kAdd, kUpsampleNearest, kMultiplyBeta,
                       kPixelShuffleTF };

struct LayerDesc {
  std::string name;                 // Keras layer name ("F_0"); weights are "<name>/kernel", "<name>/bias"
  std::string class_name;           // as in the file ("Conv2D", "PixelShuffle4x", ...)
  LayerKind kind = LayerKind::kInvalid;
  std::vector<std::string> inputs;  // inbound layer names in order
  int64_t channels = 0;             // output channels (inferred through the graph)
  int64_t in_channels = 0;          // Conv2D: input channels
  int64_t kernel_h = 0, kernel_w = 0;
  int64_t filters = 0;
  bool use_bias = false;
  bool fused_relu = false;          // Conv2D with activation "relu"
  int64_t scale = 1;                // upsampling / pixel shuffle factor
  double beta = 1.0;                // MultiplyBeta factor
};

struct TfjsModel {
  std::string path;                 // model.json path (for messages)
  std::vector<LayerDesc> layers;    // file order (topologically sorted; checked)
  std::string input, output;        // input / output layer names
  TensorMap weights;                // "<layer>/kernel" [kh,kw,in,out], "<layer>/bias" [out]; float32 CPU
  int64_t scale() const;            // product of the upsampling factors
  bool isRrdn() const;              // has MultiplyBeta/PixelShuffle layers (thick models: input range [0,1])
};

// Reads model.json and its shard files (next to it). Validates the topology, the manifest (dtypes, shapes vs
// layer configs, missing/duplicate/unused weights) and shard sizes; every error names the file and weight/layer.
Result<TfjsModel> readTfjsModel(const std::string& model_json_path);

}  // namespace atelier::sr
