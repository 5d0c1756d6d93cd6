// GlViewWindow: shaders, textures, view interaction and the ImGui HUD.
#include "viewport/gl_view_window.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QDropEvent>
#include <QMimeData>
#include <QMouseEvent>
#include <QOpenGLBuffer>
#include <QOpenGLContext>
#include <QOpenGLFramebufferObject>
#include <QOpenGLShaderProgram>
#include <QOpenGLVertexArrayObject>
#include <QThread>
#include <QUrl>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <utility>

#include <imgui.h>

#include "viewport/imgui_qt_platform.h"

namespace atelier::gui {

ChannelView channelFromName(const QString& name) {
  if (name == "r") { return ChannelView::kRed; }
  if (name == "g") { return ChannelView::kGreen; }
  if (name == "b") { return ChannelView::kBlue; }
  if (name == "luma") { return ChannelView::kLuma; }
  if (name == "alpha") { return ChannelView::kAlpha; }
  return ChannelView::kRgb;
}

QString channelName(ChannelView c) {
  switch (c) {
    case ChannelView::kRed: return "r";
    case ChannelView::kGreen: return "g";
    case ChannelView::kBlue: return "b";
    case ChannelView::kLuma: return "luma";
    case ChannelView::kAlpha: return "alpha";
    default: return "rgb";
  }
}

GlViewWindow::GlViewWindow() : imgui_(std::make_unique<ImGuiQtPlatform>()) { frame_clock_.start(); }

GlViewWindow::~GlViewWindow() {
  // The base destructor destroys the context; its aboutToBeDestroyed must not call back into this half-gone object.
  if (context()) { disconnect(context(), nullptr, this, nullptr); }
  cleanupGl();
}

void GlViewWindow::initializeGL() {
  initializeOpenGLFunctions();
  connect(context(), &QOpenGLContext::aboutToBeDestroyed, this, &GlViewWindow::cleanupGl, Qt::UniqueConnection);
  gl_error_.clear();
  program_ = std::make_unique<QOpenGLShaderProgram>();
  if (!program_->addShaderFromSourceFile(QOpenGLShader::Vertex, ":/shaders/image.vert") ||
      !program_->addShaderFromSourceFile(QOpenGLShader::Fragment, ":/shaders/image.frag") || !program_->link()) {
    gl_error_ = "shader build failed: " + program_->log();
    qWarning("GlViewport: %s", qPrintable(gl_error_));
    program_.reset();
  }
  vao_ = std::make_unique<QOpenGLVertexArrayObject>();
  vao_->create();
  vao_->bind();
  quad_ = std::make_unique<QOpenGLBuffer>(QOpenGLBuffer::VertexBuffer);
  quad_->create();
  quad_->bind();
  const float corners[] = {0.f, 0.f, 1.f, 0.f, 0.f, 1.f, 1.f, 1.f};
  quad_->allocate(corners, sizeof(corners));
  glEnableVertexAttribArray(0);
  glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 2 * sizeof(float), nullptr);
  quad_->release();
  vao_->release();
  const QSurfaceFormat f = context()->format();
  const bool core33 = !context()->isOpenGLES() && (f.majorVersion() > 3 || (f.majorVersion() == 3 && f.minorVersion() >= 3));
  if (!core33 || !imgui_->initGl("#version 330")) {
    gl_error_ += QString(" ImGui OpenGL3 backend unavailable (GL %1.%2)").arg(f.majorVersion()).arg(f.minorVersion());
  }
  after_dirty_ = !after_.isNull();
  before_dirty_ = !before_.isNull();
}

void GlViewWindow::cleanupGl() {
  if (!context()) { return; }
  makeCurrent();
  if (tex_after_) { glDeleteTextures(1, &tex_after_); }
  if (tex_before_) { glDeleteTextures(1, &tex_before_); }
  if (tex_staging_) { glDeleteTextures(1, &tex_staging_); }
  tex_after_ = tex_before_ = tex_staging_ = 0;
  tex_after_size_ = tex_before_size_ = tex_staging_size_ = QSize();
  staged_ = QImage();
  program_.reset();
  quad_.reset();
  vao_.reset();
  if (imgui_) { imgui_->shutdownGl(); }
  doneCurrent();
}

unsigned int GlViewWindow::upload(const QImage& img, unsigned int tex, QSize* tex_size) {
  if (img.isNull()) { return tex; }
  const QImage rgba = img.convertToFormat(QImage::Format_RGBA8888);   // results already are: shallow copy
  const bool fresh = !tex;
  if (fresh) { glGenTextures(1, &tex); }
  glBindTexture(GL_TEXTURE_2D, tex);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  glPixelStorei(GL_UNPACK_ROW_LENGTH, static_cast<int>(rgba.bytesPerLine() / 4));
  if (!fresh && *tex_size == rgba.size()) {   // same storage: no reallocation (the common case for results)
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, rgba.width(), rgba.height(), GL_RGBA, GL_UNSIGNED_BYTE, rgba.constBits());
  } else {
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, rgba.width(), rgba.height(), 0, GL_RGBA, GL_UNSIGNED_BYTE,
                 rgba.constBits());
    *tex_size = rgba.size();
  }
  glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
  if (fresh) {   // single level, no mipmaps: the min filter below never samples missing levels
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAX_LEVEL, 0);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  }
  glBindTexture(GL_TEXTURE_2D, 0);
  return tex;
}

void GlViewWindow::uploadBand() {
  const int rows = std::max(1, static_cast<int>(kBandBytes / staged_.bytesPerLine()));
  const int n = std::min(rows, staged_.height() - staged_row_);
  glBindTexture(GL_TEXTURE_2D, tex_staging_);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  glPixelStorei(GL_UNPACK_ROW_LENGTH, static_cast<int>(staged_.bytesPerLine() / 4));
  glTexSubImage2D(GL_TEXTURE_2D, 0, 0, staged_row_, staged_.width(), n, GL_RGBA, GL_UNSIGNED_BYTE,
                  staged_.constScanLine(staged_row_));
  glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
  glBindTexture(GL_TEXTURE_2D, 0);
  staged_row_ += n;
  if (staged_row_ < staged_.height()) {
    update();   // next band in the next frame; the event loop runs in between
    return;
  }
  std::swap(tex_after_, tex_staging_);
  std::swap(tex_after_size_, tex_staging_size_);
  staged_ = QImage();
}

void GlViewWindow::uploadIfDirty() {
  if (after_dirty_ && !after_.isNull() && after_.sizeInBytes() > kBandBytes && tex_after_) {
    staged_ = after_.convertToFormat(QImage::Format_RGBA8888);   // results already are: shallow copy
    staged_row_ = 0;
    if (!tex_staging_ || tex_staging_size_ != staged_.size()) {   // storage only, no pixels yet
      if (!tex_staging_) { glGenTextures(1, &tex_staging_); }
      glBindTexture(GL_TEXTURE_2D, tex_staging_);
      glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, staged_.width(), staged_.height(), 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAX_LEVEL, 0);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
      glBindTexture(GL_TEXTURE_2D, 0);
      tex_staging_size_ = staged_.size();
      staged_row_ = -1;   // the allocation is this frame's upload work; bands start with the next frame
    }
  } else if (after_dirty_) {   // small, or nothing shown yet: at once
    staged_ = QImage();
    tex_after_ = upload(after_, tex_after_, &tex_after_size_);
  }
  if (!staged_.isNull() && staged_row_ < 0) {
    staged_row_ = 0;
    update();
  } else if (!staged_.isNull()) {
    uploadBand();
  }
  if (before_dirty_) {
    if (before_.isNull() && tex_before_) {
      glDeleteTextures(1, &tex_before_);
      tex_before_ = 0;
    }
    tex_before_ = upload(before_, tex_before_, &tex_before_size_);
  }
  after_dirty_ = before_dirty_ = false;
}

void GlViewWindow::resizeGL(int, int) { view_.setViewSize(size()); }

void GlViewWindow::paintGL() { drawFrame(); }

QImage GlViewWindow::renderToImage() {
  QElapsedTimer waited;
  waited.start();
  while (!isValid() && waited.elapsed() < 2000) {   // the context comes with the first expose
    QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
    if (!isValid()) { QThread::msleep(2); }
  }
  if (!isValid()) { return QImage(); }
  makeCurrent();
  const QSize px = size() * devicePixelRatio();
  QOpenGLFramebufferObject fbo(px);
  fbo.bind();
  drawFrame();
  QImage img = fbo.toImage();
  fbo.release();
  doneCurrent();
  return img;
}

void GlViewWindow::drawFrame() {
  const double dt = frame_clock_.nsecsElapsed() * 1e-9;
  frame_clock_.restart();
  if (dt > 0) { fps_ = fps_ <= 0 ? 1.0 / dt : 0.9 * fps_ + 0.1 / dt; }
  const double dpr = devicePixelRatio();
  glViewport(0, 0, static_cast<int>(width() * dpr), static_cast<int>(height() * dpr));
  glClearColor(0.11f, 0.11f, 0.12f, 1.f);
  glClear(GL_COLOR_BUFFER_BIT);
  uploadIfDirty();
  view_.setViewSize(size());
  if (program_ && tex_after_) {
    const QRectF r = view_.imageRect();
    const double w = width(), h = height();
    program_->bind();
    program_->setUniformValue("u_rect", QVector4D(2 * r.left() / w - 1, 1 - 2 * r.top() / h,
                                                  2 * r.right() / w - 1, 1 - 2 * r.bottom() / h));
    const bool split = split_ >= 0 && tex_before_;
    program_->setUniformValue("u_split_px", split ? static_cast<float>(split_ * w * dpr) : -1.f);
    program_->setUniformValue("u_channel", static_cast<int>(channel_));
    program_->setUniformValue("u_after", 0);
    program_->setUniformValue("u_before", 1);
    const GLint filter = view_.zoom() >= 1.0 ? GL_NEAREST : GL_LINEAR;   // pixels stay crisp when zoomed in
    const unsigned int units[2] = {tex_after_, split ? tex_before_ : tex_after_};
    for (int i = 0; i < 2; ++i) {
      glActiveTexture(GL_TEXTURE0 + i);
      glBindTexture(GL_TEXTURE_2D, units[i]);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
    }
    vao_->bind();
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    vao_->release();
    glBindTexture(GL_TEXTURE_2D, 0);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, 0);
    program_->release();
  }
  if (hud_visible_ && imgui_->glReady()) { drawHud(dt); }
}

void GlViewWindow::drawHud(double dt_s) {
  imgui_->newFrame(width(), height(), devicePixelRatio(), dt_s);
  ImGui::SetNextWindowPos(ImVec2(8, 8));
  ImGui::SetNextWindowBgAlpha(0.6f);
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize |
                                 ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoFocusOnAppearing |
                                 ImGuiWindowFlags_NoNav | ImGuiWindowFlags_NoMove;
  if (ImGui::Begin("##hud", nullptr, flags)) {
    ImGui::Text("%.1f FPS", fps_);
    ImGui::Text("stage  %s", hud_.stage.isEmpty() ? "-" : qPrintable(hud_.stage));
    ImGui::Text("latency %.1f ms", hud_.stage_ms);
    ImGui::Text("memory %.0f MB", hud_.memory_mb);
    ImGui::Text("zoom %.0f%%  %s", view_.zoom() * 100.0, qPrintable(channelName(channel_)));
    if (!hud_.status.isEmpty()) { ImGui::TextUnformatted(qPrintable(hud_.status)); }
  }
  ImGui::End();
  imgui_->render();
  if (ImGui::GetFrameCount() < 3) { update(); }   // auto-resized ImGui windows stay hidden on their first frame
}

void GlViewWindow::setImage(const QImage& image) {
  after_ = image;
  after_dirty_ = true;
  view_.setImageSize(image.size());
  update();
}

void GlViewWindow::setBeforeImage(const QImage& image) {
  if (!image.isNull() && image.cacheKey() == before_.cacheKey()) { return; }   // same pixels: no re-upload
  before_ = image;
  before_dirty_ = true;
  update();
}

void GlViewWindow::setSplit(double x01) {
  split_ = x01 < 0 ? -1.0 : std::min(1.0, x01);
  update();
}

void GlViewWindow::setChannel(ChannelView c) {
  channel_ = c;
  update();
}

void GlViewWindow::fitToWindow() {
  view_.fit();
  update();
}

void GlViewWindow::actualSize() {
  view_.actualSize();
  update();
}

void GlViewWindow::setZoom(double z) {
  view_.setZoom(z);
  update();
}

void GlViewWindow::setHudVisible(bool on) {
  hud_visible_ = on;
  update();
}

QString firstLocalFile(const QMimeData* mime) {
  if (!mime) { return QString(); }
  for (const QUrl& url : mime->urls()) {
    if (url.isLocalFile()) { return url.toLocalFile(); }
  }
  return QString();
}

bool GlViewWindow::event(QEvent* e) {
  // Drops: usually delivered to the hosting widget, but an X drag source may target this native window itself.
  if (e->type() == QEvent::DragEnter || e->type() == QEvent::DragMove) {
    auto* d = static_cast<QDropEvent*>(e);
    if (!firstLocalFile(d->mimeData()).isEmpty()) { d->acceptProposedAction(); }
    return true;
  }
  if (e->type() == QEvent::Drop) {
    const QString path = firstLocalFile(static_cast<QDropEvent*>(e)->mimeData());
    if (!path.isEmpty()) { Q_EMIT fileDropped(path); }
    return true;
  }
  if (hud_visible_ && imgui_ && imgui_->handleEvent(e)) {
    update();
    return true;   // the HUD wants this input
  }
  return QOpenGLWindow::event(e);
}

void GlViewWindow::mousePressEvent(QMouseEvent* e) {
  last_mouse_ = e->position();
  if (e->button() == Qt::LeftButton && split_ >= 0 && (e->modifiers() & Qt::ShiftModifier)) {
    setSplit(e->position().x() / std::max(1, width()));
  }
}

void GlViewWindow::mouseMoveEvent(QMouseEvent* e) {
  if (e->buttons() & (Qt::LeftButton | Qt::MiddleButton)) {
    if (split_ >= 0 && (e->modifiers() & Qt::ShiftModifier)) {
      setSplit(e->position().x() / std::max(1, width()));
    } else {
      view_.panBy(e->position() - last_mouse_);
    }
  }
  last_mouse_ = e->position();
  update();   // HUD hover / pan
}

void GlViewWindow::wheelEvent(QWheelEvent* e) {
  view_.zoomAt(std::pow(1.0015, e->angleDelta().y()), e->position());
  update();
}

}  // namespace atelier::gui
