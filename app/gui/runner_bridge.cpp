// RunnerBridge: Runner ownership; runner callbacks run on the worker (conversion there), then post to the GUI.
// One of the few GUI translation units that include LibTorch (compiled with QT_NO_KEYWORDS, build-notes trap 3).
#include "runner_bridge.h"

#include <QCoreApplication>
#include <QFile>
#include <QMetaObject>
#include <QPointer>

#include <ATen/ATen.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "atelier/device.h"
#include "atelier/runner.h"
#include "atelier/stage.h"
#include "image_convert.h"
#include "video_feeder.h"

namespace atelier::gui {
namespace {

double processRssBytes() {
  QFile f("/proc/self/statm");
  if (!f.open(QIODevice::ReadOnly)) { return 0; }
  const QList<QByteArray> parts = f.readAll().split(' ');
  return parts.size() > 1 ? parts[1].toDouble() * static_cast<double>(sysconf(_SC_PAGESIZE)) : 0;
}

}  // namespace

QImage imageFromTensorData(const float* chw, int channels, int height, int width) {
  if (!chw || height <= 0 || width <= 0 || channels <= 0) { return {}; }
  return imageFromTensor(at::from_blob(const_cast<float*>(chw), {channels, height, width}, at::kFloat));
}

struct RunnerBridge::Impl {
  std::shared_ptr<Runner> runner;
  WorkerTuning tuning = defaultWorkerTuning();
  std::unique_ptr<VideoFeeder> video;      // before `runner` in destruction order (declared after it)
};

RunnerBridge::RunnerBridge(QObject* parent) : QObject(parent), impl_(std::make_unique<Impl>()) {
  qRegisterMetaType<atelier::gui::BridgeResult>("atelier::gui::BridgeResult");
  RunContext base;
  if (auto dev = parseDevice("auto"); dev.ok()) { base.device = dev.value(); }
  // No PostToUi: the callbacks below run on the worker thread, convert there, and post only ready QImages.
  // The runner (and its thread) is destroyed in ~RunnerBridge before `this`, so `this` outlives every callback.
  impl_->runner = std::make_shared<Runner>(nullptr, base);
  impl_->runner->onResult([this](const Packet& p) {
    BridgeResult r;
    r.live = p.index >= kLiveIndexBase;
    r.index = r.live ? p.index - kLiveIndexBase : p.index;
    if (auto it = p.tensors.find("image"); it != p.tensors.end()) { r.image = imageFromTensor(it->second); }
    r.scalars = p.scalars;
    r.text = p.text;
    postToUi([this, r = std::move(r)] { Q_EMIT resultReady(r); });
  });
  impl_->runner->onError([this](const Status& s, int64_t index) {
    const qint64 i = index >= kLiveIndexBase ? -1 : index;   // live frames are not jobs
    postToUi([this, i, m = QString::fromStdString(s.toString())] { Q_EMIT errorOccurred(i, m); });
  });
  impl_->runner->onPreview([this](const at::Tensor& t) {
    postToUi([this, img = imageFromTensor(t)] { Q_EMIT previewReady(img); });
  });
}

void RunnerBridge::postToUi(std::function<void()> fn) {
  QMetaObject::invokeMethod(this, std::move(fn), Qt::QueuedConnection);   // runs on this object's (GUI) thread
}

RunnerBridge::~RunnerBridge() {   // joins the feeder, then the worker, while `this` is intact
  impl_->video.reset();
  impl_->runner.reset();
}

std::vector<std::pair<std::string, std::string>> RunnerBridge::stages() { return StageRegistry::global().list(); }

std::vector<ParamSpec> RunnerBridge::stageParams(const std::string& id) {
  std::unique_ptr<Stage> s = StageRegistry::global().create(id);
  return s ? s->params() : std::vector<ParamSpec>{};
}

bool RunnerBridge::selectStage(const std::string& id, QString* error) {
  std::shared_ptr<Stage> s(StageRegistry::global().create(id));
  if (!s) {
    if (error) { *error = tr("unknown stage '%1'").arg(QString::fromStdString(id)); }
    return false;
  }
  impl_->runner->setPipeline({makeImageInputStage(impl_->tuning), s});
  stage_id_ = id;
  return true;
}

void RunnerBridge::setParams(const ParamSet& values) {
  if (!stage_id_.empty()) { impl_->runner->setParams(stage_id_, values); }
}

int64_t RunnerBridge::submit(const QImage& image, const QString& source_name, const ParamSet& values) {
  Packet p;
  p.index = next_index_++;
  attachImage(image, &p);   // O(1): the worker converts it (ImageInputStage)
  p.text["source"] = source_name.toStdString();
  for (const auto& [id, v] : values) {
    if (const auto* s = std::get_if<std::string>(&v)) { p.text[id] = *s; }   // "prompt", "negative_prompt", ...
  }
  const int64_t index = p.index;
  impl_->runner->submit(std::move(p), QueuePolicy::Job());
  return index;
}

void RunnerBridge::cancel() { impl_->runner->cancel(CancelMode::kNow); }

bool RunnerBridge::startVideo(const QString& spec, QString* error) {
  stopVideo();
  impl_->video = VideoFeeder::start(
      spec.toStdString(), impl_->runner,
      [this](const QImage& frame, int64_t i) { postToUi([this, frame, i] { Q_EMIT videoFrame(frame, i); }); },
      [this](const QString& err) { postToUi([this, err] { Q_EMIT videoEnded(err); }); }, error);
  return impl_->video != nullptr;
}

void RunnerBridge::stopVideo() { impl_->video.reset(); }

void RunnerBridge::setVideoPaused(bool paused) {
  if (impl_->video) { impl_->video->setPaused(paused); }
}

bool RunnerBridge::videoActive() const { return impl_->video != nullptr; }

bool RunnerBridge::videoPaused() const { return impl_->video && impl_->video->paused(); }

BridgeProgress RunnerBridge::progress() const {
  const ProgressView v = impl_->runner->progress();
  BridgeProgress b;
  b.items_done = v.items_done;
  b.items_failed = v.items_failed;
  b.items_cancelled = v.items_cancelled;
  b.queued = v.queued;
  b.step_done = v.step_done;
  b.step_total = v.step_total;
  b.busy = v.busy;
  return b;
}

QString RunnerBridge::stickyError() const {
  const Status s = impl_->runner->stickyError();
  return s.ok() ? QString() : QString::fromStdString(s.toString());
}

void RunnerBridge::clearError() { impl_->runner->clearError(); }

ProfileReport RunnerBridge::profile() const { return impl_->runner->profile(); }

double RunnerBridge::memoryBytes() const {
  double bytes = processRssBytes() + static_cast<double>(impl_->runner->cache().totalChargeBytes());
  if (cudaAvailable()) { bytes += static_cast<double>(deviceAllocatedBytes(c10::Device(c10::kCUDA, 0))); }
  return bytes;
}

bool RunnerBridge::waitIdle(int64_t timeout_ms) { return impl_->runner->waitIdle(timeout_ms); }

}  // namespace atelier::gui
