// QImage <-> tensor conversion (worker thread) and ImageInputStage, the first stage of every bridge pipeline.
#include "image_convert.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace atelier::gui {
namespace {

constexpr const char* kImageKey = "gui.qimage";   // uint8 [bytes] wrapping a QImage; geometry in scalars
constexpr const char* kFormat = "gui.qimage.format";
constexpr const char* kWidth = "gui.qimage.width";
constexpr const char* kHeight = "gui.qimage.height";
constexpr const char* kStride = "gui.qimage.bytes_per_line";

int envInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return (v && *v) ? std::atoi(v) : fallback;
}

// Once per worker thread: fewer intra-op threads and/or a lower priority so the GUI thread gets a core.
void applyTuningOnce(const WorkerTuning& t) {
  thread_local bool applied = false;
  if (applied) { return; }
  applied = true;
  if (t.threads > 0 && t.threads < at::get_num_threads()) { at::set_num_threads(t.threads); }
#ifdef __linux__
  if (t.nice != 0) { setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), t.nice); }   // per thread on Linux
#endif
}

class ImageInputStage : public Stage {
 public:
  explicit ImageInputStage(WorkerTuning t) : tuning_(t) {}
  std::string_view id() const override { return "gui.input.v1"; }
  std::vector<ParamSpec> params() const override { return {}; }
  Status configure(const ParamSet&) override {
    applyTuningOnce(tuning_);   // runs on the worker before the pipeline's first item
    return Status::Ok();
  }
  // in: "gui.qimage" uint8 [bytes] (+ geometry scalars) -> out: "image" [1,3,H,W] float in [0,1]
  Result<Packet> process(const Packet& in, RunContext&) override {
    applyTuningOnce(tuning_);
    auto it = in.tensors.find(kImageKey);
    if (it == in.tensors.end()) { return in; }
    Packet out = in;
    out.tensors.erase(kImageKey);
    for (const char* k : {kFormat, kWidth, kHeight, kStride}) { out.scalars.erase(k); }
    const auto geom = [&](const char* k) { return static_cast<int>(in.scalars.at(k)); };
    const QImage view(static_cast<const uchar*>(it->second.data_ptr()), geom(kWidth), geom(kHeight),
                      static_cast<qsizetype>(geom(kStride)), static_cast<QImage::Format>(geom(kFormat)));
    out.tensors["image"] = tensorFromImage(view);   // copies: `view` does not outlive this call
    return out;
  }

 private:
  WorkerTuning tuning_;
};

}  // namespace

QImage imageFromTensor(at::Tensor t) {
  if (!t.defined()) { return {}; }
  t = t.detach().to(at::kCPU).to(at::kFloat);
  if (t.dim() == 4) { t = t[0]; }
  if (t.dim() != 3 || t.size(0) <= 0 || t.size(1) <= 0 || t.size(2) <= 0) { return {}; }
  int64_t c = t.size(0);
  if (c == 2 || c > 4) {
    t = t.slice(0, 0, c >= 3 ? 3 : 1);
    c = t.size(0);
  }
  const int h = static_cast<int>(t.size(1)), w = static_cast<int>(t.size(2));
  const at::Tensor u8 = t.clamp(0.0, 1.0).mul(255.0).round().to(at::kByte);   // [C,H,W]
  QImage img(w, h, QImage::Format_RGBA8888);   // the viewport's texture format: uploaded without conversion
  if (img.isNull()) { return {}; }
  at::Tensor dst = at::from_blob(img.bits(), {h, w, 4}, {img.bytesPerLine(), 4, 1}, at::kByte);
  const at::Tensor rgb = c == 1 ? u8[0].unsqueeze(2).expand({h, w, 3}) : u8.slice(0, 0, 3).permute({1, 2, 0});
  dst.slice(2, 0, 3).copy_(rgb);
  if (c == 4) {
    dst.select(2, 3).copy_(u8[3]);
  } else {
    dst.select(2, 3).fill_(255);
  }
  return img;
}

at::Tensor tensorFromImage(const QImage& image) {
  const QImage rgb = image.convertToFormat(QImage::Format_RGB888);
  const int h = rgb.height(), w = rgb.width();
  const at::Tensor hwc = at::from_blob(const_cast<uchar*>(rgb.constBits()), {h, w, 3}, {rgb.bytesPerLine(), 3, 1},
                                       at::kByte);
  at::Tensor out = at::empty({1, 3, h, w}, at::kFloat);
  out[0].copy_(hwc.permute({2, 0, 1}));   // reads `rgb` before it goes out of scope
  return out.div_(255.0f);
}

void attachImage(const QImage& image, Packet* p) {
  if (image.isNull()) { return; }
  QImage img = image;
  if (img.format() == QImage::Format_Indexed8 || img.format() == QImage::Format_Mono ||
      img.format() == QImage::Format_MonoLSB) {
    img = img.convertToFormat(QImage::Format_RGB888);   // colour tables do not travel in the raw bytes (rare, small)
  }
  auto* holder = new QImage(img);   // shares the pixels (no copy); freed with the tensor, on whichever thread
  const int64_t bytes = static_cast<int64_t>(holder->sizeInBytes());
  p->tensors[kImageKey] = at::from_blob(const_cast<uchar*>(holder->constBits()), {bytes},
                                        [holder](void*) { delete holder; }, at::kByte);
  p->scalars[kFormat] = static_cast<double>(holder->format());
  p->scalars[kWidth] = holder->width();
  p->scalars[kHeight] = holder->height();
  p->scalars[kStride] = static_cast<double>(holder->bytesPerLine());
}

WorkerTuning defaultWorkerTuning() {
  WorkerTuning t;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (cores <= 4) {
    t.threads = std::max(1, cores - 1);
    // Slightly below the GUI: each GL frame waits for the rasteriser (software GL: threads of this process) and
    // the display server, which compete with the worker on small machines (bench/results/gui_stall_cpu.md).
    // Nice 5 did not slow the stage there.
    t.nice = 5;
  }
  t.threads = envInt("ATELIER_GUI_WORKER_THREADS", t.threads);
  t.nice = envInt("ATELIER_GUI_WORKER_NICE", t.nice);
  return t;
}

std::shared_ptr<Stage> makeImageInputStage(WorkerTuning tuning) { return std::make_shared<ImageInputStage>(tuning); }

}  // namespace atelier::gui
