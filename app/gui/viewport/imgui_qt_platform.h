// Dear ImGui 1.86 platform glue for Qt (our custom platform backend, docs/BACKENDS.md) plus the OpenGL3
// renderer backend. Qt events are latched and applied at the next frame: with the old IO API a press and a
// release arriving between two frames would otherwise be lost (build-notes trap 7).
// Thread-safety: GUI thread only; GL calls need the widget's context current.
#pragma once

#include <QPointF>
#include <QString>

#include <vector>

class QEvent;
struct ImGuiContext;
struct ImGuiIO;

namespace atelier::gui {

// Input state between frames. Pure; testable without a GL context.
class ImGuiInputLatch {
 public:
  static constexpr int kButtons = 3;
  static constexpr int kKeys = 512;
  void mouseMove(QPointF pos) { pos_ = pos; inside_ = true; }
  void mouseLeave() { inside_ = false; }
  void mouseButton(int button, bool down);     // 0 left, 1 right, 2 middle
  void wheel(float dx, float dy) { wheel_x_ += dx; wheel_y_ += dy; }
  void key(int imgui_key_index, bool down);    // index into io.KeysDown
  void text(const QString& s);
  void modifiers(bool ctrl, bool shift, bool alt) { ctrl_ = ctrl; shift_ = shift; alt_ = alt; }
  // Writes the latched state into io; a button/key pressed since the last frame reads as down for one frame.
  void apply(ImGuiIO& io);

 private:
  QPointF pos_;
  bool inside_ = false;
  bool down_[kButtons] = {}, pressed_[kButtons] = {};
  std::vector<bool> key_down_ = std::vector<bool>(kKeys), key_pressed_ = std::vector<bool>(kKeys);
  float wheel_x_ = 0, wheel_y_ = 0;
  std::vector<unsigned int> chars_;
  bool ctrl_ = false, shift_ = false, alt_ = false;
};

class ImGuiQtPlatform {
 public:
  ImGuiQtPlatform();                      // creates an ImGui context (no GL yet)
  ~ImGuiQtPlatform();                     // call shutdownGl() first, with the GL context current
  ImGuiQtPlatform(const ImGuiQtPlatform&) = delete;
  ImGuiQtPlatform& operator=(const ImGuiQtPlatform&) = delete;

  bool initGl(const char* glsl_version);  // REQUIRES: GL context current. false when the backend fails
  void shutdownGl();                      // REQUIRES: GL context current (no-op if not initialised)
  bool handleEvent(QEvent* e);            // feeds Qt input; true when ImGui wants it (don't use it further)
  void newFrame(double width, double height, double dpr, double dt_s);   // logical size
  void render();                          // REQUIRES: GL context current; draws over the current framebuffer
  bool glReady() const { return gl_ready_; }
  ImGuiContext* context() const { return ctx_; }

 private:
  ImGuiContext* ctx_ = nullptr;
  ImGuiInputLatch latch_;
  bool gl_ready_ = false;
  bool want_mouse_ = false, want_keyboard_ = false;
};

}  // namespace atelier::gui
