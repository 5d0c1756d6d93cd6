// RunnerBridge: the GUI's only door to the core Runner (one LibTorch worker thread). Torch-free header: the
// implementation converts QImage <-> [1,3,H,W] float tensors, and the runner's callbacks arrive on the GUI
// thread through PostToUi (QMetaObject::invokeMethod, queued). Thread-safety: GUI thread only.
#pragma once

#include <QImage>
#include <QObject>
#include <QString>
#include <QVariantMap>

#include <cstdint>
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

struct BridgeResult {                       // one finished item, converted for the UI
  int64_t index = -1;
  QImage image;                             // "image" tensor (null when the stage returned none)
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
  BridgeProgress progress() const;
  QString stickyError() const;              // "" when no background error happened
  void clearError();
  ProfileReport profile() const;
  double memoryBytes() const;               // process RSS + device allocator + runner cache charge
  bool waitIdle(int64_t timeout_ms);        // for tests and --screenshot; does not pump events

 Q_SIGNALS:
  void resultReady(atelier::gui::BridgeResult result);
  void errorOccurred(qint64 index, QString message);
  void previewReady(QImage image);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string stage_id_;
  int64_t next_index_ = 0;
};

// Planar [C,H,W] float in [0,1] -> QImage (gray/RGB/RGBA), the same conversion results use; for tests.
QImage imageFromTensorData(const float* chw, int channels, int height, int width);

}  // namespace atelier::gui

Q_DECLARE_METATYPE(atelier::gui::BridgeResult)
