// GlViewWindow: the image view's renderer. A native QOpenGLWindow (embedded by GlViewport) drawing textures with
// our GLSL shaders (shaders/image.*: zoom/pan, fit, 1:1, before/after split, channel view) and a Dear ImGui HUD
// (FPS, stage latency, memory). Being its own native window, its frames never recompose the rest of the main
// window, and widget repaints elsewhere never redraw it (a QOpenGLWidget turns every widget repaint into a
// whole-window GL composition: 25-45 ms per frame under software GL).
// Thread-safety: GUI thread only (paintGL, texture upload and ImGui all run here; architecture §3).
#pragma once

#include <QElapsedTimer>
#include <QImage>
#include <QOpenGLExtraFunctions>
#include <QOpenGLWindow>
#include <QString>

#include <memory>

#include "viewport/view_transform.h"

class QMimeData;
class QOpenGLShaderProgram;
class QOpenGLBuffer;
class QOpenGLVertexArrayObject;

namespace atelier::gui {

class ImGuiQtPlatform;

enum class ChannelView { kRgb = 0, kRed, kGreen, kBlue, kLuma, kAlpha };
QString firstLocalFile(const QMimeData* mime);       // first local file among dropped URLs; "" when none
ChannelView channelFromName(const QString& name);   // "rgb" "r" "g" "b" "luma" "alpha"; unknown -> kRgb
QString channelName(ChannelView c);

struct HudStats {                                   // shown in the ImGui overlay
  QString stage;                                    // current stage id
  double stage_ms = 0;                              // latest stage latency
  double memory_mb = 0;                             // process + device memory
  QString status;                                   // "idle", "running 3/20"
};

class GlViewWindow : public QOpenGLWindow, protected QOpenGLExtraFunctions {
  Q_OBJECT

 public:
  GlViewWindow();
  ~GlViewWindow() override;

  void setImage(const QImage& image);               // main image (result or source); keeps the view mode
  void setBeforeImage(const QImage& image);         // left side of the split (null: none)
  const QImage& image() const { return after_; }
  void setSplit(double x01);                        // split line at this fraction of the width; < 0: off
  double split() const { return split_; }
  void setChannel(ChannelView c);
  ChannelView channel() const { return channel_; }
  void fitToWindow();
  void actualSize();                                // 1:1
  void setZoom(double z);
  ViewTransform& transform() { return view_; }
  void setHudVisible(bool on);
  bool hudVisible() const { return hud_visible_; }
  void setHudStats(const HudStats& s) { hud_ = s; }
  double fps() const { return fps_; }
  QString glError() const { return gl_error_; }     // "" when shaders compiled and ImGui initialised
  // Renders one frame into an offscreen framebuffer of the window's size and returns it (tests, screenshots).
  // Waits up to 2 s for the window's GL context; null image when there is none.
  QImage renderToImage();

 Q_SIGNALS:
  void fileDropped(QString path);                   // a local file was dropped on the view

 protected:
  void initializeGL() override;
  void resizeGL(int w, int h) override;
  void paintGL() override;
  bool event(QEvent* e) override;                   // forwards input to ImGui first
  void mousePressEvent(QMouseEvent* e) override;
  void mouseMoveEvent(QMouseEvent* e) override;
  void wheelEvent(QWheelEvent* e) override;

 private:
  void cleanupGl();
  void drawFrame();                                 // the frame into the bound framebuffer (window or offscreen)
  void uploadIfDirty();
  unsigned int upload(const QImage& img, unsigned int tex, QSize* tex_size);   // same size: glTexSubImage2D
  void uploadBand();                                // next rows of staged_ into tex_staging_; swaps when done
  void drawHud(double dt_s);

  QImage after_, before_;
  bool after_dirty_ = false, before_dirty_ = false;
  unsigned int tex_after_ = 0, tex_before_ = 0;
  QSize tex_after_size_, tex_before_size_;          // allocated texture storage
  // Results over kBandBytes are uploaded in bands of that size, one per frame, into a second texture that
  // replaces tex_after_ when complete (a 2048² upload is ~15 ms of GUI-thread CPU under software GL); a new
  // size's storage is allocated in a frame of its own first.
  static constexpr qsizetype kBandBytes = 2 << 20;
  QImage staged_;                                   // RGBA8888 being uploaded (null: none)
  int staged_row_ = 0;                              // next row; -1: storage allocated this frame
  unsigned int tex_staging_ = 0;
  QSize tex_staging_size_;
  std::unique_ptr<QOpenGLShaderProgram> program_;
  std::unique_ptr<QOpenGLBuffer> quad_;
  std::unique_ptr<QOpenGLVertexArrayObject> vao_;
  std::unique_ptr<ImGuiQtPlatform> imgui_;
  ViewTransform view_;
  double split_ = -1;
  ChannelView channel_ = ChannelView::kRgb;
  bool hud_visible_ = true;
  HudStats hud_;
  QElapsedTimer frame_clock_;
  double fps_ = 0;
  QPointF last_mouse_;
  QString gl_error_;
};

}  // namespace atelier::gui
