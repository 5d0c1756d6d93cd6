// RunnerBridge: the GUI's only door to the core Runner (one LibTorch worker thread). Torch-free header.
// Pixels never touch the GUI thread: submit() wraps the QImage without copying; the worker converts it to a
// tensor, runs the stage and converts the result to an RGBA8888 QImage; only then is the result posted to the
// GUI thread (QMetaObject::invokeMethod, queued), which just draws it. Video/webcam frames are decoded on a
// feeder thread (video_feeder.h). Thread-safety: GUI thread only.
#pragma once

#include <QImage>
#include <QObject>
#include <QString>
#include <QVariantMap>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "atelier/param.h"
#include "atelier/profiler.h"

namespace atelier::gui {

struct BridgeProgress {                     // copy of the runner's atomics (polled by a UI timer)
  int64_t items_done = 0, items_failed = 0, items_cancelled = 0, queued = 0, step_done = 0, step_total = 0;
  bool busy = false;
};

struct BridgeResult {                       // one finished item, converted for the UI (on the worker)
  int64_t index = -1;                       // job index, or the frame number when `live`
  bool live = false;                        // a video/webcam frame (not a queued job)
  QImage image;                             // "image" tensor as RGBA8888 (null when the stage returned none)
  std::map<std::string, double> scalars;    // metrics ("entropy", "latency_ms", ...)
  std::map<std::string, std::string> text;
};

class RunnerBridge : public QObject {
  Q_OBJECT

 public:
  explicit RunnerBridge(QObject* parent = nullptr);
  ~RunnerBridge() override;                 // cancels and joins the worker

  static std::vector<std::pair<std::string, std::string>> stages();   // registered (id, label), sorted
  static std::vector<ParamSpec> stageParams(const std::string& id);   // empty for an unknown stage
  // Creates the stage and makes it the runner's pipeline (applied at the next item boundary).
  bool selectStage(const std::string& id, QString* error);
  const std::string& currentStage() const { return stage_id_; }
  void setParams(const ParamSet& values);   // merged into the stage's values at the next item boundary
  // Queues one job: `image` (may be null for generators) + text params copied into Packet::text. Returns its index.
  int64_t submit(const QImage& image, const QString& source_name, const ParamSet& values);
  void cancel();                            // aborts the current item and drops queued ones
  // Plays a video file or webcam ("webcam", "webcam:N", path) through the current stage as a live source
  // (runner queue bounded to 2, oldest dropped). Replaces any running video. False + *error when it cannot open.
  bool startVideo(const QString& spec, QString* error);
  void stopVideo();
  void setVideoPaused(bool paused);
  bool videoActive() const;                 // a video/webcam is open (playing or paused)
  bool videoPaused() const;
  BridgeProgress progress() const;
  QString stickyError() const;              // "" when no background error happened
  void clearError();
  ProfileReport profile() const;
  double memoryBytes() const;               // process RSS + device allocator + runner cache charge
  bool waitIdle(int64_t timeout_ms);        // for tests and --screenshot; does not pump events

 Q_SIGNALS:
  void resultReady(atelier::gui::BridgeResult result);
  void errorOccurred(qint64 index, QString message);  // index -1: not a job (configure error, video frame)
  void previewReady(QImage image);
  void videoFrame(QImage frame, qint64 frame_index);   // each frame submitted by the video source
  void videoEnded(QString error);                      // end of file ("") or a read error

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  void postToUi(std::function<void()> fn);  // any thread -> GUI thread (dropped once the bridge is gone)
  std::string stage_id_;
  int64_t next_index_ = 0;
};

// Planar [C,H,W] float in [0,1] -> RGBA8888 QImage, the same conversion results use; for tests.
QImage imageFromTensorData(const float* chw, int channels, int height, int width);

}  // namespace atelier::gui

Q_DECLARE_METATYPE(atelier::gui::BridgeResult)
