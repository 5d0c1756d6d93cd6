// MainWindow: video files and webcams as live sources (decoded on the bridge's feeder thread), play/pause,
// and results as undoable commands.
#include <QAction>
#include <QFileDialog>
#include <QFileInfo>
#include <QStatusBar>
#include <QUndoStack>

#include "main_window.h"
#include "panels/ctta_dock.h"
#include "panels/pipeline_dock.h"
#include "panels/recent_files.h"
#include "panels/result_undo.h"
#include "viewport/gl_viewport.h"

namespace atelier::gui {

bool MainWindow::isVideoPath(const QString& path) {
  static const QStringList kExt = {"avi", "mp4", "mkv", "mov", "webm", "m4v", "mpg", "mpeg", "wmv", "ogv"};
  return kExt.contains(QFileInfo(path).suffix().toLower());
}

bool MainWindow::openSource(const QString& path) { return isVideoPath(path) ? openVideo(path) : openImage(path); }

bool MainWindow::openVideo(const QString& spec) {
  const bool webcam = spec.startsWith("webcam");
  QString err;
  if (!bridge_->startVideo(webcam ? spec : QFileInfo(spec).absoluteFilePath(), &err)) {
    showError(webcam ? tr("Cannot open the webcam: %1").arg(err)
                     : tr("Cannot open video %1: %2").arg(spec, err));
    return false;
  }
  source_path_ = webcam ? QString() : QFileInfo(spec).absoluteFilePath();
  result_ = QImage();
  viewport_->setBeforeImage(QImage());
  if (!webcam) {
    recent_->add(spec);
    rebuildRecentMenu();
  }
  if (currentStage().startsWith("ctta.")) { ctta_->clear(); }
  if (play_action_) { play_action_->setChecked(true); }
  setWindowTitle(tr("Atelier — %1").arg(webcam ? spec : QFileInfo(spec).fileName()));
  showStatus(tr("Playing %1 through %2").arg(spec, currentStage()), 5000);
  return true;
}

void MainWindow::setVideoPaused(bool paused) {
  bridge_->setVideoPaused(paused);
  if (play_action_) { play_action_->setChecked(bridge_->videoActive() && !paused); }
}

void MainWindow::stopVideo() {
  bridge_->stopVideo();
  if (play_action_) { play_action_->setChecked(false); }
}

bool MainWindow::videoActive() const { return bridge_->videoActive(); }

void MainWindow::onVideoFrame(const QImage& frame, qint64 index) {
  ++frames_shown_;
  source_ = frame;
  if (result_.isNull()) {
    viewport_->setImage(frame);   // no result yet (or the stage returns none): show the video itself
  } else if (viewport_->split() >= 0) {
    viewport_->setBeforeImage(frame);
  }
  (void)index;
}

void MainWindow::onVideoEnded(const QString& error) {
  if (play_action_) { play_action_->setChecked(false); }
  if (!error.isEmpty()) {
    showError(tr("Video stopped: %1").arg(error));
  } else {
    showStatus(tr("End of video (%1 frames)").arg(frames_shown_), 5000);
  }
}

void MainWindow::showResult(const QImage& image) {
  result_ = image;
  viewport_->setBeforeImage(image.isNull() ? QImage() : source_);
  viewport_->setImage(image.isNull() ? source_ : image);
}

void MainWindow::onResult(const BridgeResult& r) {
  ++results_received_;
  if (r.live) {   // video frames: no job row, no undo entry (30 per second would bury the edits)
    ++live_results_;
    if (!r.image.isNull()) {
      result_ = r.image;
      viewport_->setBeforeImage(source_);
      viewport_->setImage(result_);
    }
  } else {
    setJobDone(r.index, static_cast<int>(panels::JobState::kDone), QString());
    if (!r.image.isNull()) {   // undoable: undo shows the previous result (or the source) again
      undo_->push(new panels::ResultChangeCommand(result_, r.image, [this](const QImage& img) { showResult(img); },
                                                  tr("result of job #%1").arg(r.index)));
    }
    showStatus(tr("Done: job #%1").arg(r.index), 5000);
  }
  if (currentStage().startsWith("ctta.") || r.scalars.count("entropy")) { ctta_->addSample(r.index, r.scalars); }
}

void MainWindow::openVideoDialog() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Open video"), QString(),
                                                    tr("Videos (*.avi *.mp4 *.mkv *.mov *.webm *.m4v *.mpg *.mpeg)"));
  if (!path.isEmpty()) { openVideo(path); }
}

}  // namespace atelier::gui
