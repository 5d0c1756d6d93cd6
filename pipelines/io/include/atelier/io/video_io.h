// Video files and webcams -> frames as tensors (OpenCV VideoCapture). Frames: [1,3,H,W] float32 in [0,1], RGB.
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>

#include "atelier/status.h"

namespace atelier::io {

class VideoSource {
 public:
  // "webcam", "webcam:N", a file path, or a GStreamer pipeline ending in appsink ("gst:videotestsrc ! ... ! appsink").
  static Result<std::unique_ptr<VideoSource>> open(const std::string& spec);
  ~VideoSource();
  Result<at::Tensor> read();          // next frame; Status::NotFound at end of stream
  double fps() const;                 // 0 when unknown
  int64_t frameCount() const;         // -1 for live sources
  int width() const;
  int height() const;
  const std::string& spec() const { return spec_; }

 private:
  VideoSource() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string spec_;
};

}  // namespace atelier::io
