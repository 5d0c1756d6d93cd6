// QImage <-> image tensor conversion and the bridge's input stage. Both directions run on the runner's worker
// thread, so the GUI thread never touches pixels: submit() only wraps the QImage (a reference-counted, O(1) copy)
// in a uint8 tensor that keeps it alive; ImageInputStage (first stage of every bridge pipeline) turns it into
// "image" [1,3,H,W] float; results are converted to RGBA8888 QImages (what the viewport uploads as is) before
// they are posted. Included only by LibTorch translation units of app/gui (runner_bridge.cpp, image_convert.cpp).
#pragma once

#include <QImage>

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>

#include "atelier/stage.h"

namespace atelier::gui {

// Any [1,C,H,W] or [C,H,W] tensor (values in [0,1]) -> RGBA8888 QImage (C=1 gray, 3 RGB, 4 RGBA; other C: the
// first 3 or 1 channels). Null for an undefined/empty tensor. Any thread (called on the worker).
QImage imageFromTensor(at::Tensor t);
// QImage -> [1,3,H,W] float32 in [0,1] (alpha dropped). Any thread.
at::Tensor tensorFromImage(const QImage& image);

// GUI thread, O(1): puts `image` into `p` as a wrapped uint8 tensor "gui.qimage" (+ its geometry in p.scalars);
// no pixel is read or copied here. ImageInputStage converts it on the worker.
void attachImage(const QImage& image, Packet* p);

// Worker thread settings applied once, from the first item on (the runner owns the thread; this is the first
// code of ours that runs on it). threads <= 0: leave LibTorch's count; nice 0: leave the priority.
struct WorkerTuning {
  int threads = 0;
  int nice = 0;
};
// Default for a GUI process: on <= 4 cores leave one core to the GUI thread (threads = cores - 1, at least 1)
// and run the worker at nice 5; ATELIER_GUI_WORKER_THREADS and ATELIER_GUI_WORKER_NICE (0: normal) override.
WorkerTuning defaultWorkerTuning();

// First stage of every bridge pipeline: "gui.qimage" -> "image" [1,3,H,W] float (packets that already carry an
// "image" tensor, e.g. decoded video frames, pass through unchanged).
std::shared_ptr<Stage> makeImageInputStage(WorkerTuning tuning);

}  // namespace atelier::gui
