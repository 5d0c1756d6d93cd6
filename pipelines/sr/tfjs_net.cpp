// Graph construction (with the upsample→conv phase rewrite) and execution for TfjsNetImpl.
#include "sr/tfjs_net.h"

#include <torch/nn/functional/pixelshuffle.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/torch.h>

#include <map>

namespace atelier::sr {
namespace {

int64_t floorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

}  // namespace

torch::Tensor depthToSpaceTF(const torch::Tensor& x, int64_t s) {
  // x: [N, s·s·C, H, W] with channel index (i·s+j)·C + c → [N, C, H·s, W·s]
  const int64_t n = x.size(0), c = x.size(1) / (s * s), h = x.size(2), w = x.size(3);
  return x.view({n, s, s, c, h, w}).permute({0, 3, 4, 1, 5, 2}).reshape({n, c, h * s, w * s});
}

torch::Tensor phaseKernel(const torch::Tensor& w, int64_t s) {
  const int64_t o = w.size(0), in = w.size(1), k = w.size(2), p = k / 2;
  const int64_t r = std::max(-floorDiv(-p, s), floorDiv(s - 1 + p, s));
  const int64_t kk = 2 * r + 1;
  torch::Tensor out = torch::zeros({o, s, s, in, kk, kk}, w.options());
  using torch::indexing::Slice;
  for (int64_t i = 0; i < s; ++i) {
    for (int64_t j = 0; j < s; ++j) {
      for (int64_t ky = 0; ky < k; ++ky) {
        for (int64_t kx = 0; kx < k; ++kx) {
          const int64_t a = floorDiv(i + ky - p, s) + r, b = floorDiv(j + kx - p, s) + r;
          out.index({Slice(), i, j, Slice(), a, b}) += w.index({Slice(), Slice(), ky, kx});
        }
      }
    }
  }
  return out.reshape({o * s * s, in, kk, kk});
}

Status TfjsNetImpl::addConv(const TfjsModel& m, const LayerDesc& d, Node& n, int64_t phase_scale) {
  torch::Tensor kernel = m.weights.at(d.name + "/kernel").permute({3, 2, 0, 1}).contiguous();  // HWIO → OIHW
  torch::Tensor bias = d.use_bias ? m.weights.at(d.name + "/bias") : torch::zeros({d.filters});
  int64_t out_ch = d.filters, kh = d.kernel_h, kw = d.kernel_w;
  if (phase_scale > 1) {
    if (kh != kw) { return Status::Unsupported(m.path + ": layer '" + d.name + "': phase rewrite needs a square kernel"); }
    kernel = phaseKernel(kernel, phase_scale);
    bias = bias.repeat_interleave(phase_scale * phase_scale);
    out_ch = kernel.size(0);
    kh = kw = kernel.size(2);
  }
  auto opts = torch::nn::Conv2dOptions(d.in_channels, out_ch, {kh, kw}).padding({kh / 2, kw / 2}).bias(true);
  torch::nn::Conv2d conv(opts);
  {
    torch::NoGradGuard ng;
    conv->weight.copy_(kernel);
    conv->bias.copy_(bias);
  }
  try {
    register_module(d.name, conv);
  } catch (const c10::Error& e) {
    return Status::Unsupported(m.path + ": layer name '" + d.name + "' cannot be a module name");
  }
  n.conv = static_cast<int>(convs_.size());
  n.relu = d.fused_relu;
  convs_.push_back(conv);
  return Status::Ok();
}

Result<std::shared_ptr<TfjsNetImpl>> TfjsNetImpl::build(const TfjsModel& m, const NetOptions& opt) {
  std::shared_ptr<TfjsNetImpl> net(new TfjsNetImpl());
  std::map<std::string, int> consumers;
  std::map<std::string, const LayerDesc*> by_name;
  for (const LayerDesc& d : m.layers) {
    by_name[d.name] = &d;
    for (const std::string& in : d.inputs) consumers[in]++;
  }
  std::map<std::string, int> index;   // layer name → node index (fused upsample layers map to their input)
  std::map<std::string, int64_t> pending_phase;  // fused upsample name → its scale
  for (const LayerDesc& d : m.layers) {
    Node n;
    if (d.kind == LayerKind::kUpsampleNearest && opt.fuse_upsample_conv && consumers[d.name] == 1) {
      const LayerDesc* next = nullptr;
      for (const LayerDesc& c : m.layers) {
        if (!c.inputs.empty() && c.inputs[0] == d.name) next = &c;
      }
      if (next && next->kind == LayerKind::kConv2D && next->kernel_h == next->kernel_w) {
        index[d.name] = index.at(d.inputs[0]);
        pending_phase[d.name] = d.scale;
        continue;
      }
    }
    for (const std::string& in : d.inputs) n.inputs.push_back(index.at(in));
    switch (d.kind) {
      case LayerKind::kInput: n.op = Op::kInput; net->in_channels_ = d.channels; break;
      case LayerKind::kConv2D: {
        int64_t ps = pending_phase.count(d.inputs[0]) ? pending_phase[d.inputs[0]] : 1;
        n.op = ps > 1 ? Op::kPhaseConv : Op::kConv;
        n.scale = ps;
        ATELIER_RETURN_IF_ERROR(net->addConv(m, d, n, ps));
        break;
      }
      case LayerKind::kRelu: n.op = Op::kRelu; break;
      case LayerKind::kConcat: n.op = Op::kConcat; break;
      case LayerKind::kAdd: n.op = Op::kAdd; break;
      case LayerKind::kUpsampleNearest: n.op = Op::kUpsample; n.scale = d.scale; break;
      case LayerKind::kMultiplyBeta: n.op = Op::kMul; n.beta = d.beta; break;
      case LayerKind::kPixelShuffleTF: n.op = Op::kD2S; n.scale = d.scale; break;
      default: return Status::Unsupported(m.path + ": layer '" + d.name + "' has no LibTorch equivalent");
    }
    for (int in : n.inputs) net->nodes_[in].uses++;
    index[d.name] = static_cast<int>(net->nodes_.size());
    net->nodes_.push_back(n);
  }
  net->output_ = index.at(m.output);
  net->nodes_[net->output_].uses++;   // keep the output alive
  net->scale_ = m.scale();
  return net;
}

torch::Tensor TfjsNetImpl::forward(const torch::Tensor& x) {
  // x: [B,Cin,H,W] native range → [B,Cout,H·s,W·s]
  std::vector<torch::Tensor> val(nodes_.size());
  std::vector<int> left(nodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i) left[i] = nodes_[i].uses;
  // True when node `i` may be overwritten by its current consumer (last use, not the caller's tensor).
  auto owned = [&](int i) { return left[i] == 1 && nodes_[i].op != Op::kInput; };
  for (size_t k = 0; k < nodes_.size(); ++k) {
    const Node& n = nodes_[k];
    torch::Tensor y;
    switch (n.op) {
      case Op::kInput: y = x; break;
      case Op::kConv: y = convs_[n.conv]->forward(val[n.inputs[0]]); break;
      case Op::kPhaseConv:
        y = torch::pixel_shuffle(convs_[n.conv]->forward(val[n.inputs[0]]), n.scale);
        break;
      case Op::kRelu: y = owned(n.inputs[0]) ? val[n.inputs[0]].relu_() : torch::relu(val[n.inputs[0]]); break;
      case Op::kMul: y = owned(n.inputs[0]) ? val[n.inputs[0]].mul_(n.beta) : val[n.inputs[0]] * n.beta; break;
      case Op::kAdd: {
        y = owned(n.inputs[0]) ? val[n.inputs[0]] : val[n.inputs[0]].clone();
        for (size_t i = 1; i < n.inputs.size(); ++i) y.add_(val[n.inputs[i]]);
        break;
      }
      case Op::kConcat: {
        std::vector<torch::Tensor> parts;
        for (int i : n.inputs) parts.push_back(val[i]);
        y = torch::cat(parts, 1);
        break;
      }
      case Op::kUpsample: y = val[n.inputs[0]].repeat_interleave(n.scale, 2).repeat_interleave(n.scale, 3); break;
      case Op::kD2S: y = depthToSpaceTF(val[n.inputs[0]], n.scale); break;
    }
    if (n.relu) y.relu_();
    for (int i : n.inputs) {
      if (--left[i] == 0) val[i] = torch::Tensor();
    }
    val[k] = y;
  }
  return val[output_];
}

}  // namespace atelier::sr
