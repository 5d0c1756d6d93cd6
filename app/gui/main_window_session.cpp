// MainWindow: images, sessions, recent files, saving results, screenshots.
#include <QApplication>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QImageReader>
#include <QImageWriter>
#include <QJsonDocument>
#include <QMenu>
#include <QPainter>
#include <QPixmap>
#include <QStatusBar>
#include <QSurfaceFormat>
#include <QThread>

#include "main_window.h"
#include "panels/param_form.h"
#include "panels/param_value_qt.h"
#include "panels/pipeline_dock.h"
#include "panels/quant_cache_dock.h"
#include "panels/recent_files.h"
#include "viewport/gl_viewport.h"

namespace atelier::gui {

bool MainWindow::openImage(const QString& path) {
  QImageReader reader(path);
  reader.setAutoTransform(true);
  QImage img = reader.read();
  if (img.isNull()) {
    showError(tr("Cannot open image %1: %2").arg(path, reader.errorString()));
    return false;
  }
  bridge_->stopVideo();   // an image replaces a playing video as the source
  source_ = img;
  source_path_ = QFileInfo(path).absoluteFilePath();
  result_ = QImage();
  viewport_->setBeforeImage(QImage());
  viewport_->setImage(source_);
  recent_->add(path);
  rebuildRecentMenu();
  setWindowTitle(tr("Atelier — %1").arg(QFileInfo(path).fileName()));
  showStatus(tr("Opened %1 (%2×%3)").arg(path).arg(img.width()).arg(img.height()), 5000);
  return true;
}

panels::Session MainWindow::captureSession() const {
  panels::Session s;
  if (!source_path_.isEmpty()) { s.sources << source_path_; }
  s.stage = currentStage();
  s.params = stage_params_;
  s.window_geometry = saveGeometry();
  s.window_state = saveState();
  const ViewTransform& t = viewport_->transform();
  s.view.mode = t.isFit() ? "fit" : (t.zoom() == 1.0 ? "1:1" : "zoom");
  s.view.zoom = t.zoom();
  s.view.split = viewport_->split();
  s.view.channel = channelName(viewport_->channel());
  s.view.hud = viewport_->hudVisible();
  return s;
}

void MainWindow::applySession(const panels::Session& s) {
  for (const auto& [id, values] : s.params) { stage_params_[id] = values; }
  if (!s.window_geometry.isEmpty()) { restoreGeometry(s.window_geometry); }
  if (!s.window_state.isEmpty()) { restoreState(s.window_state); }
  for (const QString& src : s.sources) {
    if (openSource(src)) { break; }   // first readable source is shown (a video starts playing)
  }
  QStringList ids;
  for (const auto& [id, label] : RunnerBridge::stages()) { ids << QString::fromStdString(id); }
  const QString stage = panels::chooseStage(s, ids);
  if (!stage.isEmpty()) {
    selectStage(stage);
    const ParamSet values = stage_params_[stage.toStdString()];   // copy: setValues feeds back into the map
    params_->setValues(values);
    quant_->form()->setValues(values);
  } else if (!s.stage.isEmpty()) {
    showStatus(tr("Stage %1 is not available in this build").arg(s.stage), 10000);
  }
  if (s.view.mode == "1:1") {
    viewport_->actualSize();
  } else if (s.view.mode == "zoom") {
    viewport_->setZoom(s.view.zoom);
  } else {
    viewport_->fitToWindow();
  }
  viewport_->setSplit(s.view.split);
  viewport_->setChannel(channelFromName(s.view.channel));
  viewport_->setHudVisible(s.view.hud);
}

bool MainWindow::loadSessionFile(const QString& path) {
  panels::Session s;
  QString err;
  if (!panels::loadSession(path, &s, &err)) {
    showError(err);
    return false;
  }
  applySession(s);
  recent_->add(path);
  rebuildRecentMenu();
  return true;
}

bool MainWindow::saveSessionFile(const QString& path) {
  QString err;
  if (!panels::saveSession(path, captureSession(), &err)) {
    showError(err);
    return false;
  }
  recent_->add(path);
  rebuildRecentMenu();
  showStatus(tr("Saved session %1").arg(path), 5000);
  return true;
}

bool MainWindow::saveResultPng(const QString& path) {
  QImage img = result_.isNull() ? source_ : result_;
  if (img.isNull()) {
    showError(tr("Nothing to save yet."));
    return false;
  }
  const std::string stage = bridge_->currentStage();
  img.setText("atelier.stage", QString::fromStdString(stage));
  img.setText("atelier.source", source_path_);
  img.setText("parameters", QString::fromUtf8(
      QJsonDocument(panels::paramSetToJson(stage_params_[stage])).toJson(QJsonDocument::Compact)));
  QImageWriter writer(path, "png");
  if (!writer.write(img)) {
    showError(tr("Cannot write %1: %2").arg(path, writer.errorString()));
    return false;
  }
  return true;
}

void MainWindow::rebuildRecentMenu() {
  if (!recent_menu_) { return; }
  recent_menu_->clear();
  for (const QString& path : recent_->list()) {
    QAction* a = recent_menu_->addAction(path);
    a->setEnabled(QFileInfo::exists(path));
    connect(a, &QAction::triggered, this, [this, path] {
      if (path.endsWith(".json", Qt::CaseInsensitive)) {
        loadSessionFile(path);
      } else {
        openSource(path);
      }
    });
  }
  recent_menu_->setEnabled(!recent_menu_->isEmpty());
}

void MainWindow::openDialog() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Open image"), QString(),
                                                    tr("Images (*.png *.jpg *.jpeg *.bmp *.gif);;Videos (*.avi *.mp4 *.mkv *.mov *.webm)"));
  if (!path.isEmpty()) { openSource(path); }
}

void MainWindow::openSessionDialog() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Open session"), QString(), tr("Sessions (*.json)"));
  if (!path.isEmpty()) { loadSessionFile(path); }
}

void MainWindow::saveSessionDialog() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Save session"), "session.json", tr("Sessions (*.json)"));
  if (!path.isEmpty()) { saveSessionFile(path); }
}

void MainWindow::saveResultDialog() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Save result"), "result.png", tr("PNG (*.png)"));
  if (!path.isEmpty()) { saveResultPng(path); }
}

void configureDefaultSurfaceFormat() {
  QSurfaceFormat f;
  f.setVersion(3, 3);
  f.setProfile(QSurfaceFormat::CoreProfile);
  f.setDepthBufferSize(0);
  f.setStencilBufferSize(8);   // ImGui does not need it; Qt's QPainter-on-GL paths like it
  QSurfaceFormat::setDefaultFormat(f);
}

bool saveWindowScreenshot(QWidget& window, const QString& path, int settle_ms, QString* error) {
  QElapsedTimer t;
  t.start();
  while (t.elapsed() < settle_ms) {   // let layouts settle and the GL viewport paint at least once
    QApplication::processEvents(QEventLoop::AllEvents, 20);
    QThread::msleep(5);
  }
  QPixmap shot = window.grab();
  if (shot.isNull()) {
    *error = QObject::tr("could not grab the window");
    return false;
  }
  // Native GL views are separate windows that QWidget::grab() cannot see: paint each one's frame in its place.
  QPainter painter(&shot);
  for (GlViewport* v : window.findChildren<GlViewport*>()) {
    if (!v->isVisible()) { continue; }
    const QImage frame = v->grabFramebuffer();
    if (!frame.isNull()) { painter.drawImage(QRect(v->mapTo(&window, QPoint(0, 0)), v->size()), frame); }
  }
  painter.end();
  if (!shot.save(path, "PNG")) {
    *error = QObject::tr("cannot write screenshot %1").arg(path);
    return false;
  }
  return true;
}

}  // namespace atelier::gui
