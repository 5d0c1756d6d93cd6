// ImGui platform glue: Qt events -> latched ImGui 1.86 IO; OpenGL3 renderer backend.
#include "viewport/imgui_qt_platform.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QWheelEvent>

#include <cfloat>

#include <imgui.h>
#include <backends/imgui_impl_opengl3.h>

namespace atelier::gui {
namespace {

// Our compact key indices (io.KeyMap values); anything else is not forwarded.
int keyIndex(int qt_key) {
  switch (qt_key) {
    case Qt::Key_Tab: return 1;
    case Qt::Key_Left: return 2;
    case Qt::Key_Right: return 3;
    case Qt::Key_Up: return 4;
    case Qt::Key_Down: return 5;
    case Qt::Key_PageUp: return 6;
    case Qt::Key_PageDown: return 7;
    case Qt::Key_Home: return 8;
    case Qt::Key_End: return 9;
    case Qt::Key_Insert: return 10;
    case Qt::Key_Delete: return 11;
    case Qt::Key_Backspace: return 12;
    case Qt::Key_Space: return 13;
    case Qt::Key_Return: return 14;
    case Qt::Key_Enter: return 14;
    case Qt::Key_Escape: return 15;
    case Qt::Key_A: return 16;
    case Qt::Key_C: return 17;
    case Qt::Key_V: return 18;
    case Qt::Key_X: return 19;
    case Qt::Key_Y: return 20;
    case Qt::Key_Z: return 21;
    default: return -1;
  }
}

int buttonIndex(Qt::MouseButton b) {
  switch (b) {
    case Qt::LeftButton: return 0;
    case Qt::RightButton: return 1;
    case Qt::MiddleButton: return 2;
    default: return -1;
  }
}

}  // namespace

void ImGuiInputLatch::mouseButton(int button, bool down) {
  if (button < 0 || button >= kButtons) { return; }
  down_[button] = down;
  if (down) { pressed_[button] = true; }
}

void ImGuiInputLatch::key(int index, bool down) {
  if (index < 0 || index >= kKeys) { return; }
  key_down_[index] = down;
  if (down) { key_pressed_[index] = true; }
}

void ImGuiInputLatch::text(const QString& s) {
  for (const uint c : s.toUcs4()) {
    if (c >= 32 && c != 127) { chars_.push_back(c); }
  }
}

void ImGuiInputLatch::apply(ImGuiIO& io) {
  io.MousePos = inside_ ? ImVec2(static_cast<float>(pos_.x()), static_cast<float>(pos_.y()))
                        : ImVec2(-FLT_MAX, -FLT_MAX);
  for (int i = 0; i < kButtons; ++i) {
    io.MouseDown[i] = down_[i] || pressed_[i];
    pressed_[i] = false;
  }
  for (int i = 0; i < kKeys; ++i) {
    io.KeysDown[i] = key_down_[i] || key_pressed_[i];
    key_pressed_[i] = false;
  }
  io.MouseWheel += wheel_y_;
  io.MouseWheelH += wheel_x_;
  wheel_x_ = wheel_y_ = 0;
  io.KeyCtrl = ctrl_;
  io.KeyShift = shift_;
  io.KeyAlt = alt_;
  for (unsigned int c : chars_) { io.AddInputCharacter(c); }
  chars_.clear();
}

ImGuiQtPlatform::ImGuiQtPlatform() {
  ImGuiContext* prev = ImGui::GetCurrentContext();
  ctx_ = ImGui::CreateContext();
  ImGui::SetCurrentContext(ctx_);
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;   // the HUD has a fixed place; nothing to persist
  io.BackendPlatformName = "atelier_qt";
  const int map[][2] = {{ImGuiKey_Tab, 1},      {ImGuiKey_LeftArrow, 2}, {ImGuiKey_RightArrow, 3},
                        {ImGuiKey_UpArrow, 4},  {ImGuiKey_DownArrow, 5}, {ImGuiKey_PageUp, 6},
                        {ImGuiKey_PageDown, 7}, {ImGuiKey_Home, 8},      {ImGuiKey_End, 9},
                        {ImGuiKey_Insert, 10},  {ImGuiKey_Delete, 11},   {ImGuiKey_Backspace, 12},
                        {ImGuiKey_Space, 13},   {ImGuiKey_Enter, 14},    {ImGuiKey_Escape, 15},
                        {ImGuiKey_A, 16},       {ImGuiKey_C, 17},        {ImGuiKey_V, 18},
                        {ImGuiKey_X, 19},       {ImGuiKey_Y, 20},        {ImGuiKey_Z, 21}};
  for (const auto& m : map) { io.KeyMap[m[0]] = m[1]; }
  ImGui::StyleColorsDark();
  ImGui::SetCurrentContext(prev ? prev : ctx_);
}

ImGuiQtPlatform::~ImGuiQtPlatform() {
  if (ctx_) { ImGui::DestroyContext(ctx_); }
}

bool ImGuiQtPlatform::initGl(const char* glsl_version) {
  ImGui::SetCurrentContext(ctx_);
  gl_ready_ = ImGui_ImplOpenGL3_Init(glsl_version);
  return gl_ready_;
}

void ImGuiQtPlatform::shutdownGl() {
  if (!gl_ready_) { return; }
  ImGui::SetCurrentContext(ctx_);
  ImGui_ImplOpenGL3_Shutdown();
  gl_ready_ = false;
}

bool ImGuiQtPlatform::handleEvent(QEvent* e) {
  switch (e->type()) {
    case QEvent::MouseMove: {
      latch_.mouseMove(static_cast<QMouseEvent*>(e)->position());
      return want_mouse_;
    }
    case QEvent::MouseButtonPress:
    case QEvent::MouseButtonDblClick:
    case QEvent::MouseButtonRelease: {
      auto* me = static_cast<QMouseEvent*>(e);
      latch_.mouseMove(me->position());
      latch_.mouseButton(buttonIndex(me->button()), e->type() != QEvent::MouseButtonRelease);
      return want_mouse_;
    }
    case QEvent::Leave: latch_.mouseLeave(); return false;
    case QEvent::Wheel: {
      const QPoint d = static_cast<QWheelEvent*>(e)->angleDelta();
      latch_.wheel(d.x() / 120.0f, d.y() / 120.0f);
      return want_mouse_;
    }
    case QEvent::KeyPress:
    case QEvent::KeyRelease: {
      auto* ke = static_cast<QKeyEvent*>(e);
      const Qt::KeyboardModifiers m = ke->modifiers();
      latch_.modifiers(m & Qt::ControlModifier, m & Qt::ShiftModifier, m & Qt::AltModifier);
      latch_.key(keyIndex(ke->key()), e->type() == QEvent::KeyPress);
      if (e->type() == QEvent::KeyPress) { latch_.text(ke->text()); }
      return want_keyboard_;
    }
    default: return false;
  }
}

void ImGuiQtPlatform::newFrame(double width, double height, double dpr, double dt_s) {
  ImGui::SetCurrentContext(ctx_);
  ImGuiIO& io = ImGui::GetIO();
  io.DisplaySize = ImVec2(static_cast<float>(width), static_cast<float>(height));
  io.DisplayFramebufferScale = ImVec2(static_cast<float>(dpr), static_cast<float>(dpr));
  io.DeltaTime = dt_s > 0 ? static_cast<float>(dt_s) : 1.0f / 60.0f;
  latch_.apply(io);
  if (gl_ready_) { ImGui_ImplOpenGL3_NewFrame(); }
  ImGui::NewFrame();
}

void ImGuiQtPlatform::render() {
  ImGui::SetCurrentContext(ctx_);
  ImGui::Render();
  const ImGuiIO& io = ImGui::GetIO();
  want_mouse_ = io.WantCaptureMouse;
  want_keyboard_ = io.WantCaptureKeyboard;
  if (gl_ready_) { ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData()); }
}

}  // namespace atelier::gui
