// WideResNet (RobustBench key layout) with optional ViDA conv adapters.
#include <torch/torch.h>

#include "ctta/nets.h"

namespace atelier::ctta {
namespace nn = torch::nn;

namespace {
nn::Conv2d conv(int64_t cin, int64_t cout, int64_t k, int64_t s, int64_t p) {
  return nn::Conv2d(nn::Conv2dOptions(cin, cout, k).stride(s).padding(p).bias(false));
}

class WrnBlockImpl : public nn::Module {
 public:
  WrnBlockImpl(int64_t cin, int64_t cout, int64_t stride) : cin_(cin), cout_(cout), stride_(stride) {
    equal_ = cin == cout && stride == 1;
    bn1 = register_module("bn1", nn::BatchNorm2d(cin));
    conv1 = register_module("conv1", conv(cin, cout, 3, stride, 1));
    bn2 = register_module("bn2", nn::BatchNorm2d(cout));
    conv2 = register_module("conv2", conv(cout, cout, 3, 1, 1));
    if (!equal_) convShortcut = register_module("convShortcut", conv(cin, cout, 1, stride, 0));
  }
  void addAdapters(int64_t rl, int64_t rh) {
    vida1 = register_module("vida1", ConvAdapter(cin_, cout_, stride_, rl, rh));
    vida2 = register_module("vida2", ConvAdapter(cout_, cout_, 1, rl, rh));
  }
  // x: [B,cin,H,W] -> [B,cout,H/stride,W/stride]
  at::Tensor forward(const at::Tensor& x) {
    at::Tensor o = torch::relu(bn1->forward(x));
    at::Tensor shortcut = equal_ ? x : convShortcut->forward(o);
    at::Tensor y = conv1->forward(o);
    if (vida1) y = y + vida1->forward(o);
    at::Tensor h = torch::relu(bn2->forward(y));
    y = conv2->forward(h);
    if (vida2) y = y + vida2->forward(h);
    return shortcut + y;
  }
  nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  nn::Conv2d conv1{nullptr}, conv2{nullptr}, convShortcut{nullptr};
  ConvAdapter vida1{nullptr}, vida2{nullptr};

 private:
  int64_t cin_, cout_, stride_;
  bool equal_;
};
TORCH_MODULE(WrnBlock);

class WrnGroupImpl : public nn::Module {   // "blockK" holding "layer"
 public:
  WrnGroupImpl(int64_t n, int64_t cin, int64_t cout, int64_t stride) {
    layer = register_module("layer", nn::ModuleList());
    for (int64_t i = 0; i < n; ++i) {
      auto b = WrnBlock(i == 0 ? cin : cout, cout, i == 0 ? stride : 1);
      blocks.push_back(b);
      layer->push_back(b);
    }
  }
  at::Tensor forward(at::Tensor x) {   // x: [B,cin,H,W]
    for (auto& b : blocks) x = b->forward(x);
    return x;
  }
  nn::ModuleList layer{nullptr};
  std::vector<WrnBlock> blocks;
};
TORCH_MODULE(WrnGroup);

class WideResNet : public ClassifierNet {
 public:
  WideResNet(int64_t depth, int64_t widen, int64_t num_classes) {
    const int64_t n = (depth - 4) / 6;
    const int64_t w[4] = {16, 16 * widen, 32 * widen, 64 * widen};
    conv1 = register_module("conv1", conv(3, w[0], 3, 1, 1));
    g1 = register_module("block1", WrnGroup(n, w[0], w[1], 1));
    g2 = register_module("block2", WrnGroup(n, w[1], w[2], 2));
    g3 = register_module("block3", WrnGroup(n, w[2], w[3], 2));
    bn1 = register_module("bn1", nn::BatchNorm2d(w[3]));
    fc = register_module("fc", nn::Linear(w[3], num_classes));
  }
  // x: [B,3,H,W] normalised -> [B,num_classes]
  at::Tensor forward(const at::Tensor& x) override {
    at::Tensor o = conv1->forward(x);
    o = g3->forward(g2->forward(g1->forward(o)));
    o = torch::relu(bn1->forward(o)).mean({2, 3});
    return fc->forward(o);
  }
  Status addAdapters(int64_t rl, int64_t rh) override {
    if (adapter_rank_low > 0) return Status::InvalidArgument("adapters already added");
    for (auto* g : {&g1, &g2, &g3})
      for (auto& b : (*g)->blocks) b->addAdapters(rl, rh);
    adapter_rank_low = rl;
    adapter_rank_high = rh;
    return Status::Ok();
  }
  std::vector<ConvAdapter> adapters() const override {
    std::vector<ConvAdapter> out;
    for (auto* g : {&g1, &g2, &g3})
      for (auto& b : (*g)->blocks)
        if (b->vida1) { out.push_back(b->vida1); out.push_back(b->vida2); }
    return out;
  }

 private:
  nn::Conv2d conv1{nullptr};
  WrnGroup g1{nullptr}, g2{nullptr}, g3{nullptr};
  nn::BatchNorm2d bn1{nullptr};
  nn::Linear fc{nullptr};
};
}  // namespace

ConvAdapterImpl::ConvAdapterImpl(int64_t cin, int64_t cout, int64_t stride, int64_t rl, int64_t rh) {
  auto mk = [&](int64_t a, int64_t b, int64_t s) {
    return nn::Conv2d(nn::Conv2dOptions(a, b, 1).stride(s).bias(false));
  };
  down_low = register_module("down_low", mk(cin, rl, stride));
  up_low = register_module("up_low", mk(rl, cout, 1));
  down_high = register_module("down_high", mk(cin, rh, stride));
  up_high = register_module("up_high", mk(rh, cout, 1));
  torch::NoGradGuard ng;
  down_low->weight.normal_(0.0, 1.0 / double(rl * rl));
  down_high->weight.normal_(0.0, 1.0 / double(rh * rh));
  up_low->weight.zero_();
  up_high->weight.zero_();
}

at::Tensor ConvAdapterImpl::forward(const at::Tensor& x) {
  // x: [B,cin,H,W] -> [B,cout,H/s,W/s]
  return up_low->forward(down_low->forward(x)) * scale_low + up_high->forward(down_high->forward(x)) * scale_high;
}

std::shared_ptr<ClassifierNet> makeWideResNet(int64_t depth, int64_t widen, int64_t num_classes) {
  return std::make_shared<WideResNet>(depth, widen, num_classes);
}

}  // namespace atelier::ctta
