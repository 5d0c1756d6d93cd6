// cv::Mat <-> tensor conversion (internal to atelier_io).
#pragma once

#include <ATen/core/Tensor.h>
#include <opencv2/core.hpp>

namespace atelier::io {
// 8U/16U/32F Mat with 1, 3 (BGR) or 4 (BGRA) channels → [1,C,H,W] float in [0,1], RGB(A) order.
at::Tensor matToTensor(const cv::Mat& m);
// [1,C,H,W] or [C,H,W] float in [0,1] → Mat of depth CV_8U or CV_16U, BGR(A) order when bgr is true.
cv::Mat tensorToMat(const at::Tensor& t, int bit_depth, bool bgr);
}  // namespace atelier::io
