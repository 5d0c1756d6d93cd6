// ResNet-50 in torchvision key layout (users bring ImageNet weights as safetensors).
#include <torch/torch.h>

#include "ctta/nets.h"

namespace atelier::ctta {
namespace nn = torch::nn;

namespace {
nn::Conv2d conv(int64_t cin, int64_t cout, int64_t k, int64_t s, int64_t p) {
  return nn::Conv2d(nn::Conv2dOptions(cin, cout, k).stride(s).padding(p).bias(false));
}

class BottleneckImpl : public nn::Module {
 public:
  BottleneckImpl(int64_t cin, int64_t planes, int64_t stride) {
    conv1 = register_module("conv1", conv(cin, planes, 1, 1, 0));
    bn1 = register_module("bn1", nn::BatchNorm2d(planes));
    conv2 = register_module("conv2", conv(planes, planes, 3, stride, 1));
    bn2 = register_module("bn2", nn::BatchNorm2d(planes));
    conv3 = register_module("conv3", conv(planes, planes * 4, 1, 1, 0));
    bn3 = register_module("bn3", nn::BatchNorm2d(planes * 4));
    if (stride != 1 || cin != planes * 4) {
      downsample = register_module("downsample", nn::Sequential(conv(cin, planes * 4, 1, stride, 0),
                                                                nn::BatchNorm2d(planes * 4)));
    }
  }
  // x: [B,cin,H,W] -> [B,4·planes,H/s,W/s]
  at::Tensor forward(const at::Tensor& x) {
    at::Tensor o = torch::relu(bn1->forward(conv1->forward(x)));
    o = torch::relu(bn2->forward(conv2->forward(o)));
    o = bn3->forward(conv3->forward(o));
    return torch::relu(o + (downsample ? downsample->forward(x) : x));
  }
  nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  nn::Sequential downsample{nullptr};
};
TORCH_MODULE(Bottleneck);

class ResNet50 : public ClassifierNet {
 public:
  explicit ResNet50(int64_t num_classes) {
    conv1 = register_module("conv1", conv(3, 64, 7, 2, 3));
    bn1 = register_module("bn1", nn::BatchNorm2d(64));
    const int64_t counts[4] = {3, 4, 6, 3}, planes[4] = {64, 128, 256, 512};
    int64_t cin = 64;
    for (int l = 0; l < 4; ++l) {
      nn::Sequential seq;
      for (int64_t i = 0; i < counts[l]; ++i) {
        seq->push_back(Bottleneck(cin, planes[l], (i == 0 && l > 0) ? 2 : 1));
        cin = planes[l] * 4;
      }
      layers[l] = register_module("layer" + std::to_string(l + 1), seq);
    }
    fc = register_module("fc", nn::Linear(2048, num_classes));
  }
  // x: [B,3,H,W] normalised -> [B,num_classes]
  at::Tensor forward(const at::Tensor& x) override {
    at::Tensor o = torch::relu(bn1->forward(conv1->forward(x)));
    o = torch::max_pool2d(o, 3, 2, 1);
    for (auto& l : layers) o = l->forward(o);
    return fc->forward(o.mean({2, 3}));
  }

 private:
  nn::Conv2d conv1{nullptr};
  nn::BatchNorm2d bn1{nullptr};
  nn::Sequential layers[4] = {nn::Sequential{nullptr}, nn::Sequential{nullptr}, nn::Sequential{nullptr},
                              nn::Sequential{nullptr}};
  nn::Linear fc{nullptr};
};
}  // namespace

std::shared_ptr<ClassifierNet> makeResNet50(int64_t num_classes) { return std::make_shared<ResNet50>(num_classes); }

}  // namespace atelier::ctta
