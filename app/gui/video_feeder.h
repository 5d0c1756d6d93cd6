// VideoFeeder: plays a video file or webcam into the runner as a live source. Its own thread decodes frames
// (atelier_io / OpenCV; never the GUI thread), paces files at their frame rate, submits each frame to the
// runner's bounded drop-oldest live queue, and hands the frame (as an RGBA8888 QImage) to `on_frame`.
// Included only by LibTorch translation units (runner_bridge.cpp, video_feeder.cpp).
#pragma once

#include <QImage>
#include <QString>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "atelier/runner.h"

namespace atelier::gui {

constexpr int64_t kLiveIndexBase = int64_t{1} << 40;   // live frame i is Packet::index kLiveIndexBase + i

class VideoFeeder {
 public:
  using FrameFn = std::function<void(const QImage& frame, int64_t frame_index)>;   // feeder thread
  using EndFn = std::function<void(const QString& error)>;                         // feeder thread; "" = end

  // Opens `spec` ("webcam", "webcam:N" or a file) now (so the caller gets the error) and starts the thread.
  // Returns nullptr and sets *error when the source cannot be opened or video support is not built in.
  static std::unique_ptr<VideoFeeder> start(const std::string& spec, std::shared_ptr<Runner> runner,
                                            FrameFn on_frame, EndFn on_end, QString* error);
  ~VideoFeeder();                          // stops and joins the thread
  void setPaused(bool paused);             // any thread
  bool paused() const { return paused_.load(); }
  double fps() const { return fps_; }      // 0 when unknown (webcams): frames are read as they come

 private:
  VideoFeeder() = default;
  void loop();

  struct Source;
  std::unique_ptr<Source> src_;
  std::shared_ptr<Runner> runner_;
  FrameFn on_frame_;
  EndFn on_end_;
  double fps_ = 0;
  std::string spec_;
  std::atomic<bool> paused_{false};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;                     // last: started once every member exists
};

}  // namespace atelier::gui
