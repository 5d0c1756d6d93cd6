#include "sd/resnet.h"

#include "sd/nn_util.h"

namespace atelier::sd {

namespace {
torch::nn::GroupNorm makeGroupNorm(int64_t groups, int64_t ch, double eps) {
  return torch::nn::GroupNorm(torch::nn::GroupNormOptions(groups, ch).eps(eps).affine(true));
}
}  // namespace

ResnetBlock2DImpl::ResnetBlock2DImpl(const ResnetOptions& o, std::shared_ptr<HookState> hooks, std::string nm)
    : name(std::move(nm)), out_scale_(o.output_scale_factor), hooks_(std::move(hooks)) {
  norm1 = register_module("norm1", makeGroupNorm(o.groups, o.in_channels, o.eps));
  conv1 = register_module("conv1", detail::makeConv(o.in_channels, o.out_channels, 3, 1, 1));
  if (o.temb_channels > 0) {
    time_emb_proj = register_module("time_emb_proj", detail::makeLinear(o.temb_channels, o.out_channels));
  }
  norm2 = register_module("norm2", makeGroupNorm(o.groups, o.out_channels, o.eps));
  conv2 = register_module("conv2", detail::makeConv(o.out_channels, o.out_channels, 3, 1, 1));
  if (o.in_channels != o.out_channels) {
    conv_shortcut = register_module("conv_shortcut", detail::makeConv(o.in_channels, o.out_channels, 1));
  }
}

at::Tensor ResnetBlock2DImpl::forward(const at::Tensor& x, const at::Tensor& temb_act) {
  // x: [B,Cin,H,W]; temb_act: [B,Temb] (already SiLU'd) or undefined → [B,Cout,H,W]
  at::Tensor h = detail::siluTmp(detail::groupNorm(x, norm1));
  h = detail::conv(h, conv1, 1, 1);
  if (time_emb_proj && temb_act.defined()) {
    at::Tensor t = detail::linear(temb_act, time_emb_proj);    // [B,Cout]
    h = detail::addTmp(h, t.unsqueeze(-1).unsqueeze(-1));
  }
  h = detail::siluTmp(detail::groupNorm(h, norm2));
  h = detail::conv(h, conv2, 1, 1);
  if (hooks_ && hooks_->feature) hooks_->feature->onResnetOut(name, hooks_->step, h);
  // out = shortcut(x) + h; never overwrite the block input, nor h once a feature hook may have kept it.
  at::Tensor out;
  if (conv_shortcut) {
    out = detail::addTmp(detail::conv(x, conv_shortcut, 1, 0), h);
  } else if (hooks_ && hooks_->feature) {
    out = x + h;
  } else {
    out = detail::addTmp(h, x);
  }
  if (out_scale_ != 1.0) out = out / out_scale_;
  return out;
}

Downsample2DImpl::Downsample2DImpl(int64_t channels, int64_t padding) : padding_(padding) {
  conv = register_module("conv", detail::makeConv(channels, channels, 3, 2, padding));
}

at::Tensor Downsample2DImpl::forward(const at::Tensor& x) {
  // x: [B,C,H,W] → [B,C,H',W'] (stride 2)
  if (padding_ == 0) return detail::conv(at::constant_pad_nd(x, {0, 1, 0, 1}, 0), conv, 2, 0);
  return detail::conv(x, conv, 2, padding_);
}

Upsample2DImpl::Upsample2DImpl(int64_t channels) {
  conv = register_module("conv", detail::makeConv(channels, channels, 3, 1, 1));
}

at::Tensor Upsample2DImpl::forward(const at::Tensor& x, int64_t oh, int64_t ow) {
  // x: [B,C,H,W] → [B,C,oh,ow] (default 2H,2W)
  if (oh <= 0 || ow <= 0) {
    oh = x.size(2) * 2;
    ow = x.size(3) * 2;
  }
  // As diffusers: nearest upsampling of bf16 runs in fp32 (exact either way; older kernels lack bf16).
  const bool bf16 = x.scalar_type() == at::kBFloat16;
  at::Tensor in = bf16 ? x.to(at::kFloat) : x;
  std::vector<int64_t> size{oh, ow};
  at::Tensor up = at::upsample_nearest2d(in, at::IntArrayRef(size));
  if (bf16) up = up.to(at::kBFloat16);
  return detail::conv(up, conv, 1, 1);
}

}  // namespace atelier::sd
