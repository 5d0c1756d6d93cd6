// ViewTransform maths and the ImGui input latch (no GL needed).
#include <gtest/gtest.h>

#include <imgui.h>

#include "viewport/imgui_qt_platform.h"
#include "viewport/view_transform.h"

namespace atelier::gui {
namespace {

TEST(ViewTransform, FitActualZoomAndPan) {
  ViewTransform t;
  t.setImageSize(QSize(400, 200));
  t.setViewSize(QSize(200, 200));
  t.fit();
  EXPECT_DOUBLE_EQ(t.zoom(), 0.5);
  EXPECT_EQ(t.imageRect(), QRectF(0, 50, 200, 100));
  t.actualSize();
  EXPECT_DOUBLE_EQ(t.zoom(), 1.0);
  EXPECT_EQ(t.imageRect(), QRectF(-100, 0, 400, 200));
  // Zooming about a point keeps the image pixel under it fixed.
  const QPointF p(150, 70);
  const QPointF before = t.viewToImage(p);
  t.zoomAt(2.0, p);
  EXPECT_DOUBLE_EQ(t.zoom(), 2.0);
  const QPointF after = t.viewToImage(p);
  EXPECT_NEAR(after.x(), before.x(), 1e-9);
  EXPECT_NEAR(after.y(), before.y(), 1e-9);
  t.panBy(QPointF(10, -5));
  EXPECT_NEAR(t.viewToImage(p + QPointF(10, -5)).x(), before.x(), 1e-9);
  EXPECT_FALSE(t.isFit());
  t.setZoom(1000);
  EXPECT_DOUBLE_EQ(t.zoom(), ViewTransform::kMaxZoom);
  t.fit();
  t.setViewSize(QSize(100, 100));   // fit follows resizes
  EXPECT_DOUBLE_EQ(t.zoom(), 0.25);
}

TEST(ImGuiInputLatch, PressAndReleaseBetweenFramesIsNotLost) {
  ImGuiContext* ctx = ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  ImGuiInputLatch latch;
  latch.mouseMove(QPointF(5, 6));
  latch.mouseButton(0, true);
  latch.mouseButton(0, false);   // both before the next frame
  latch.key(3, true);
  latch.key(3, false);
  latch.apply(io);
  EXPECT_TRUE(io.MouseDown[0]) << "a click between frames must be seen for one frame";
  EXPECT_TRUE(io.KeysDown[3]);
  EXPECT_FLOAT_EQ(io.MousePos.x, 5.f);
  latch.apply(io);
  EXPECT_FALSE(io.MouseDown[0]);
  EXPECT_FALSE(io.KeysDown[3]);
  latch.mouseButton(1, true);    // held across frames
  latch.apply(io);
  latch.apply(io);
  EXPECT_TRUE(io.MouseDown[1]);
  latch.mouseLeave();
  latch.apply(io);
  EXPECT_LT(io.MousePos.x, -1e30f);
  ImGui::DestroyContext(ctx);
}

}  // namespace
}  // namespace atelier::gui
