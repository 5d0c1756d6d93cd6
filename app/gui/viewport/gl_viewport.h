// GlViewport: the central image view as a widget. Hosts a GlViewWindow (native OpenGL window: shaders, textures,
// ImGui HUD) through QWidget::createWindowContainer, forwards the view API to it and accepts dropped files.
// Thread-safety: GUI thread only (architecture §3).
#pragma once

#include <QImage>
#include <QString>
#include <QWidget>

#include "viewport/gl_view_window.h"

namespace atelier::gui {

class GlViewport : public QWidget {
  Q_OBJECT

 public:
  explicit GlViewport(QWidget* parent = nullptr);
  ~GlViewport() override;

  GlViewWindow* glWindow() const { return window_; }          // the renderer (owned by the container)
  void setImage(const QImage& image) { window_->setImage(image); }
  void setBeforeImage(const QImage& image) { window_->setBeforeImage(image); }
  const QImage& image() const { return window_->image(); }
  void setSplit(double x01) { window_->setSplit(x01); }
  double split() const { return window_->split(); }
  void setChannel(ChannelView c) { window_->setChannel(c); }
  ChannelView channel() const { return window_->channel(); }
  void fitToWindow() { window_->fitToWindow(); }
  void actualSize() { window_->actualSize(); }
  void setZoom(double z) { window_->setZoom(z); }
  ViewTransform& transform() { return window_->transform(); }
  void setHudVisible(bool on) { window_->setHudVisible(on); }
  bool hudVisible() const { return window_->hudVisible(); }
  void setHudStats(const HudStats& s) { window_->setHudStats(s); }
  double fps() const { return window_->fps(); }
  QString glError() const { return window_->glError(); }
  void requestFrame() { window_->update(); }                  // redraw the GL view (not the widget)
  QImage grabFramebuffer() { return window_->renderToImage(); }   // one frame, offscreen, at the view's size

 Q_SIGNALS:
  void fileDropped(QString path);

 protected:
  void dragEnterEvent(QDragEnterEvent* e) override;
  void dropEvent(QDropEvent* e) override;

 private:
  GlViewWindow* window_;
};

}  // namespace atelier::gui
