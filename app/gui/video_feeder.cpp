// VideoFeeder: decode thread -> runner live queue (bounded, drops oldest) + frames for the viewport.
#include "video_feeder.h"

#include <chrono>

#include "image_convert.h"
#ifdef ATELIER_GUI_HAVE_VIDEO
#include "atelier/io/video_io.h"
#endif

namespace atelier::gui {

struct VideoFeeder::Source {
#ifdef ATELIER_GUI_HAVE_VIDEO
  std::unique_ptr<io::VideoSource> video;
#endif
};

std::unique_ptr<VideoFeeder> VideoFeeder::start(const std::string& spec, std::shared_ptr<Runner> runner,
                                                FrameFn on_frame, EndFn on_end, QString* error) {
#ifdef ATELIER_GUI_HAVE_VIDEO
  Result<std::unique_ptr<io::VideoSource>> v = io::VideoSource::open(spec);
  if (!v.ok()) {
    if (error) { *error = QString::fromStdString(v.status().message()); }
    return nullptr;
  }
  std::unique_ptr<VideoFeeder> f(new VideoFeeder());
  f->src_ = std::make_unique<Source>();
  f->src_->video = std::move(v).value();
  f->fps_ = f->src_->video->frameCount() < 0 ? 0.0 : f->src_->video->fps();   // live sources pace themselves
  f->runner_ = std::move(runner);
  f->on_frame_ = std::move(on_frame);
  f->on_end_ = std::move(on_end);
  f->spec_ = spec;
  f->thread_ = std::thread([p = f.get()] { p->loop(); });
  return f;
#else
  (void)runner; (void)on_frame; (void)on_end;
  if (error) { *error = QString("%1: video support is not built in (atelier_io/OpenCV missing)").arg(QString::fromStdString(spec)); }
  return nullptr;
#endif
}

VideoFeeder::~VideoFeeder() {
  stop_.store(true);
  cv_.notify_all();
  if (thread_.joinable()) { thread_.join(); }
}

void VideoFeeder::setPaused(bool paused) {
  paused_.store(paused);
  cv_.notify_all();
}

void VideoFeeder::loop() {
#ifdef ATELIER_GUI_HAVE_VIDEO
  using Clock = std::chrono::steady_clock;
  const auto period = fps_ > 0 ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / fps_))
                               : Clock::duration::zero();
  Clock::time_point next = Clock::now();
  int64_t frame = 0;
  QString end_error;
  while (!stop_.load()) {
    if (paused_.load()) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_.load() || !paused_.load(); });
      next = Clock::now();
      continue;
    }
    Result<at::Tensor> r = src_->video->read();   // [1,3,H,W] float in [0,1]
    if (!r.ok()) {
      if (r.status().code() != StatusCode::kNotFound) { end_error = QString::fromStdString(r.status().message()); }
      break;
    }
    Packet p;
    p.index = kLiveIndexBase + frame;
    p.pts_ns = fps_ > 0 ? static_cast<int64_t>(1e9 * static_cast<double>(frame) / fps_) : 0;
    p.tensors["image"] = r.value();
    p.text["source"] = spec_;
    runner_->submit(std::move(p), QueuePolicy::Live("video", 2));
    if (on_frame_) { on_frame_(imageFromTensor(r.value()), frame); }
    ++frame;
    if (period > Clock::duration::zero()) {   // files: real time; the runner drops frames it cannot keep up with
      next += period;
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, next, [&] { return stop_.load() || paused_.load(); });
    }
  }
  if (!stop_.load() && on_end_) { on_end_(end_error); }
#endif
}

}  // namespace atelier::gui
