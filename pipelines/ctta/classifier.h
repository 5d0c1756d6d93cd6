// Image classifiers for test-time adaptation: WideResNet (RobustBench keys), ResNet-50 (torchvision keys), user
// TorchScript modules, their JSON model description, deep copies and BatchNorm helpers. Inputs are [B,3,H,W] in [0,1].
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>

#include <memory>
#include <string>
#include <vector>

#include "atelier/status.h"

namespace atelier::ctta {

// The JSON next to the weights: {arch, depth, widen_factor, num_classes, classes, mean, std, input_size}.
struct ModelSpec {
  std::string arch = "wideresnet";              // "wideresnet" | "resnet50" | "torchscript"
  int64_t depth = 16, widen_factor = 4, num_classes = 10;
  std::vector<std::string> classes;             // empty: "class N"
  std::vector<double> mean{0, 0, 0}, std{1, 1, 1};
  int64_t input_size = 32;
};

// Parses the JSON text; missing keys keep the defaults above; `label` names the file in errors.
Result<ModelSpec> parseModelSpec(const std::string& json_text, const std::string& label);
// Reads and parses a JSON file.
Result<ModelSpec> loadModelSpec(const std::string& path);
// "dir/x.safetensors" -> "dir/x.json" (also for .pt).
std::string modelSpecPathFor(const std::string& weights_path);

// ViDA-style parallel adapter on a conv: out = s_low·up_low(down_low(x)) + s_high·up_high(down_high(x)).
// down: 1×1 conv with the wrapped conv's stride (N(0, 1/r²) init), up: 1×1 conv initialised to zero.
class ConvAdapterImpl : public torch::nn::Module {
 public:
  ConvAdapterImpl(int64_t cin, int64_t cout, int64_t stride, int64_t rank_low, int64_t rank_high);
  at::Tensor forward(const at::Tensor& x);      // x: [B,cin,H,W] -> [B,cout,H/s,W/s]
  double scale_low = 1.0, scale_high = 1.0;
  torch::nn::Conv2d down_low{nullptr}, up_low{nullptr}, down_high{nullptr}, up_high{nullptr};
};
TORCH_MODULE(ConvAdapter);

// Marker for modules that act as BatchNorm without being torch::nn::BatchNorm2d (TorchScript BatchNorm mirrors):
// their "weight"/"bias" parameters are the affine ones and train()/eval() switches batch/running statistics.
class BatchNormLike {
 public:
  virtual ~BatchNormLike() = default;
};

// Base of the networks (native, or a TorchScript wrapper). Parameter names mirror the checkpoints.
class ClassifierNet : public torch::nn::Module {
 public:
  virtual at::Tensor forward(const at::Tensor& x) = 0;   // x: [B,3,H,W] normalised -> [B,num_classes] logits
  // Adds ViDA adapters (names "...vida_*") next to the block convs; Unsupported when the net has no hook.
  virtual Status addAdapters(int64_t rank_low, int64_t rank_high) { return Status::Unsupported("no adapters"); }
  // Every adapter of the net (empty without addAdapters).
  virtual std::vector<ConvAdapter> adapters() const { return {}; }
  // A new net of the same architecture for Classifier::clone (values may be anything: they are copied after);
  // nullptr: built from the ModelSpec with makeNet (the native nets).
  virtual std::shared_ptr<ClassifierNet> sameArchitecture() const { return nullptr; }
  // Ok when the adapting methods can work on this net; else why not (e.g. a traced TorchScript module).
  virtual Status checkAdaptable() const { return Status::Ok(); }
  int64_t adapter_rank_low = 0, adapter_rank_high = 0;   // 0: none
};

// A classifier with its preprocessing. Deep-copyable; all methods act on a Classifier.
class Classifier {
 public:
  Classifier(ModelSpec spec, std::shared_ptr<ClassifierNet> net);
  const ModelSpec& spec() const { return spec_; }
  ClassifierNet& net() { return *net_; }
  std::shared_ptr<ClassifierNet> netPtr() const { return net_; }
  at::Tensor logits(const at::Tensor& x01);    // x01: [B,3,H,W] in [0,1] -> [B,C] (normalises by mean/std)
  Result<std::shared_ptr<Classifier>> clone() const;   // parameters and buffers copied, same device
  void to(const c10::Device& d);
  c10::Device device() const;
  // Copies parameters and buffers from `other` (same architecture) into this one.
  void copyFrom(const Classifier& other);

 private:
  ModelSpec spec_;
  std::shared_ptr<ClassifierNet> net_;
  at::Tensor mean_, std_;                       // [1,3,1,1]
};

// Builds an uninitialised network for the spec (wideresnet, resnet50).
Result<std::shared_ptr<ClassifierNet>> makeNet(const ModelSpec& spec);
// Loads weights (safetensors, any float dtype -> fp32) and the JSON (default: modelSpecPathFor(weights)).
// A .pt/.ts file, or arch "torchscript" in the JSON, loads a TorchScript module instead (loadScriptedClassifier).
Result<std::shared_ptr<Classifier>> loadClassifier(const std::string& weights_path,
                                                   const std::string& spec_path = "");
// True for the file names loadClassifier treats as TorchScript (.pt, .ts, .torchscript).
bool isTorchScriptPath(const std::string& path);
// Loads a TorchScript module (torch::jit::load, on the CPU) with the spec's mean/std/classes/input_size. Checks a
// [4,3,S,S] forward gives [4,num_classes] logits and whether BatchNorm's train/eval switch changes the outputs;
// when it does not (a torch.jit.trace export) the net loads but checkAdaptable() refuses adaptation.
Result<std::shared_ptr<Classifier>> loadScriptedClassifier(const std::string& path, ModelSpec spec);

}  // namespace atelier::ctta
