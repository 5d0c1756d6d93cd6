// Video files, webcams and GStreamer pipelines -> frames via OpenCV VideoCapture.
#include "atelier/io/video_io.h"

#include <ATen/ATen.h>
#include <opencv2/videoio.hpp>

#include <filesystem>

#include "tensor_mat.h"

namespace atelier::io {

struct VideoSource::Impl {
  cv::VideoCapture cap;
  bool live = false;
};

Result<std::unique_ptr<VideoSource>> VideoSource::open(const std::string& spec) {
  std::unique_ptr<VideoSource> v(new VideoSource());
  v->impl_ = std::make_unique<Impl>();
  v->spec_ = spec;
  bool ok = false;
  if (spec == "webcam" || spec.rfind("webcam:", 0) == 0) {
    int idx = spec.size() > 7 ? std::atoi(spec.c_str() + 7) : 0;
    ok = v->impl_->cap.open(idx);
    v->impl_->live = true;
    if (!ok) { return Status::NotFound(spec + ": no camera could be opened (is one connected?)"); }
  } else if (spec.rfind("gst:", 0) == 0) {
    ok = v->impl_->cap.open(spec.substr(4), cv::CAP_GSTREAMER);
    v->impl_->live = true;
    if (!ok) { return Status::NotFound(spec + ": GStreamer pipeline could not be opened"); }
  } else {
    if (!std::filesystem::is_regular_file(spec)) { return Status::NotFound(spec + ": no such video file"); }
    ok = v->impl_->cap.open(spec);
    if (!ok) { return Status::Corruption(spec + ": cannot open video (unsupported codec or corrupt)"); }
  }
  return v;
}

VideoSource::~VideoSource() = default;

Result<at::Tensor> VideoSource::read() {
  cv::Mat frame;
  if (!impl_->cap.read(frame) || frame.empty()) { return Status::NotFound(spec_ + ": end of stream"); }
  return matToTensor(frame);
}

double VideoSource::fps() const { return impl_->cap.get(cv::CAP_PROP_FPS); }
int64_t VideoSource::frameCount() const {
  return impl_->live ? -1 : static_cast<int64_t>(impl_->cap.get(cv::CAP_PROP_FRAME_COUNT));
}
int VideoSource::width() const { return static_cast<int>(impl_->cap.get(cv::CAP_PROP_FRAME_WIDTH)); }
int VideoSource::height() const { return static_cast<int>(impl_->cap.get(cv::CAP_PROP_FRAME_HEIGHT)); }

}  // namespace atelier::io
