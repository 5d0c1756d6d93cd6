// RunnerBridge: Runner ownership, QImage <-> tensor conversion, callbacks posted to the GUI thread.
// The only GUI translation unit that includes LibTorch (compiled with QT_NO_KEYWORDS, build-notes trap 3).
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

namespace atelier::gui {
namespace {

// QImage -> [1,3,H,W] float32 in [0,1] (alpha dropped: stages take RGB).
at::Tensor tensorFromImage(const QImage& image) {
  const QImage rgb = image.convertToFormat(QImage::Format_RGB888);
  const int h = rgb.height(), w = rgb.width();
  at::Tensor hwc = at::empty({h, w, 3}, at::kByte);
  uint8_t* dst = hwc.data_ptr<uint8_t>();
  for (int y = 0; y < h; ++y) { std::memcpy(dst + static_cast<size_t>(y) * w * 3, rgb.constScanLine(y), static_cast<size_t>(w) * 3); }
  return hwc.permute({2, 0, 1}).unsqueeze(0).to(at::kFloat).div_(255.0f).contiguous();
}

// Any [1,C,H,W] or [C,H,W] image tensor -> QImage (C = 1 gray, 3 RGB, 4 RGBA; other C: first 3 or 1).
// Vectorised in LibTorch: a 2048x2048 result converts in a few ms on the GUI thread.
QImage imageFromTensor(at::Tensor t) {
  if (!t.defined()) { return {}; }
  t = t.detach().to(at::kCPU).to(at::kFloat);
  if (t.dim() == 4) { t = t[0]; }
  if (t.dim() != 3 || t.size(1) <= 0 || t.size(2) <= 0) { return {}; }
  int64_t c = t.size(0);
  if (c == 2 || c > 4) {
    t = t.slice(0, 0, c >= 3 ? 3 : 1);
    c = t.size(0);
  }
  const int h = static_cast<int>(t.size(1)), w = static_cast<int>(t.size(2));
  const at::Tensor hwc = t.clamp(0.0, 1.0).mul(255.0).round().to(at::kByte).permute({1, 2, 0}).contiguous();
  QImage img(w, h, c == 4 ? QImage::Format_RGBA8888 : (c == 1 ? QImage::Format_Grayscale8 : QImage::Format_RGB888));
  const uint8_t* src = hwc.data_ptr<uint8_t>();
  const size_t row_bytes = static_cast<size_t>(w) * static_cast<size_t>(c);
  for (int y = 0; y < h; ++y) { std::memcpy(img.scanLine(y), src + static_cast<size_t>(y) * row_bytes, row_bytes); }
  return img;
}

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
};

RunnerBridge::RunnerBridge(QObject* parent) : QObject(parent), impl_(std::make_unique<Impl>()) {
  qRegisterMetaType<atelier::gui::BridgeResult>("atelier::gui::BridgeResult");
  // PostToUi: queued onto the GUI thread; the bridge is the context object, so posts made after it is gone
  // are dropped instead of touching a dead object.
  QPointer<RunnerBridge> self(this);
  RunContext base;
  if (auto dev = parseDevice("auto"); dev.ok()) { base.device = dev.value(); }
  impl_->runner = std::make_shared<Runner>(
      [self](std::function<void()> fn) {
        if (self) { QMetaObject::invokeMethod(self.data(), std::move(fn), Qt::QueuedConnection); }
      },
      base);
  impl_->runner->onResult([this](const Packet& p) {
    BridgeResult r;
    r.index = p.index;
    if (auto it = p.tensors.find("image"); it != p.tensors.end()) { r.image = imageFromTensor(it->second); }
    r.scalars = p.scalars;
    r.text = p.text;
    Q_EMIT resultReady(r);
  });
  impl_->runner->onError([this](const Status& s, int64_t index) {
    Q_EMIT errorOccurred(index, QString::fromStdString(s.toString()));
  });
  impl_->runner->onPreview([this](const at::Tensor& t) { Q_EMIT previewReady(imageFromTensor(t)); });
}

RunnerBridge::~RunnerBridge() { impl_->runner.reset(); }   // joins the worker while `this` is intact

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
  impl_->runner->setPipeline({s});
  stage_id_ = id;
  return true;
}

void RunnerBridge::setParams(const ParamSet& values) {
  if (!stage_id_.empty()) { impl_->runner->setParams(stage_id_, values); }
}

int64_t RunnerBridge::submit(const QImage& image, const QString& source_name, const ParamSet& values) {
  Packet p;
  p.index = next_index_++;
  if (!image.isNull()) { p.tensors["image"] = tensorFromImage(image); }
  p.text["source"] = source_name.toStdString();
  for (const auto& [id, v] : values) {
    if (const auto* s = std::get_if<std::string>(&v)) { p.text[id] = *s; }   // "prompt", "negative_prompt", ...
  }
  const int64_t index = p.index;
  impl_->runner->submit(std::move(p), QueuePolicy::Job());
  return index;
}

void RunnerBridge::cancel() { impl_->runner->cancel(CancelMode::kNow); }

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
