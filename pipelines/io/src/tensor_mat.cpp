// cv::Mat <-> tensor conversion.
#include "tensor_mat.h"

#include <ATen/ATen.h>
#include <opencv2/imgproc.hpp>

namespace atelier::io {

at::Tensor matToTensor(const cv::Mat& src) {
  cv::Mat m = src;
  const int c = m.channels();
  if (c == 3) { cv::cvtColor(m, m, cv::COLOR_BGR2RGB); }
  if (c == 4) { cv::cvtColor(m, m, cv::COLOR_BGRA2RGBA); }
  if (!m.isContinuous()) { m = m.clone(); }
  at::Tensor t;
  switch (m.depth()) {
    case CV_8U: t = at::from_blob(m.data, {m.rows, m.cols, c}, at::kByte).to(at::kFloat).div_(255.0); break;
    case CV_16U: {
      // No uint16 in LibTorch 1.13: widen through int32.
      cv::Mat wide;
      m.convertTo(wide, CV_32S);
      t = at::from_blob(wide.data, {m.rows, m.cols, c}, at::kInt).to(at::kFloat).div_(65535.0);
      break;
    }
    case CV_32F: t = at::from_blob(m.data, {m.rows, m.cols, c}, at::kFloat).clone().clamp_(0, 1); break;
    default: {
      cv::Mat f;
      m.convertTo(f, CV_32F, 1.0 / 255.0);
      t = at::from_blob(f.data, {m.rows, m.cols, c}, at::kFloat).clone();
    }
  }
  return t.permute({2, 0, 1}).unsqueeze(0).contiguous();
}

cv::Mat tensorToMat(const at::Tensor& in, int bit_depth, bool bgr) {
  at::Tensor t = in.detach().to(at::kCPU, at::kFloat);
  if (t.dim() == 4) { t = t[0]; }
  const int c = static_cast<int>(t.size(0));
  const int h = static_cast<int>(t.size(1));
  const int w = static_cast<int>(t.size(2));
  const double maxv = bit_depth == 16 ? 65535.0 : 255.0;
  at::Tensor q = t.clamp(0, 1).mul(maxv).round().permute({1, 2, 0}).contiguous().to(at::kInt);
  cv::Mat wide(h, w, CV_32SC(c), q.data_ptr());
  cv::Mat out;
  wide.convertTo(out, bit_depth == 16 ? CV_16U : CV_8U);
  if (bgr && c == 3) { cv::cvtColor(out, out, cv::COLOR_RGB2BGR); }
  if (bgr && c == 4) { cv::cvtColor(out, out, cv::COLOR_RGBA2BGRA); }
  return out;
}

}  // namespace atelier::io
