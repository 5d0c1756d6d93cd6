// GlViewport under xvfb (Mesa llvmpipe): render known images and check read-back pixels.
#include "viewport/gl_viewport.h"

#include <gtest/gtest.h>

#include <QMimeData>
#include <QSignalSpy>
#include <QTest>
#include <QUrl>

#include "gui_test_app.h"

namespace atelier::gui {
namespace {

// w x h image made of vertical (or horizontal) bands of the given colours.
QImage bands(int w, int h, std::vector<QColor> colours, bool vertical_bands = true) {
  QImage img(w, h, QImage::Format_RGBA8888);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const int i = vertical_bands ? x * static_cast<int>(colours.size()) / w : y * static_cast<int>(colours.size()) / h;
      img.setPixelColor(x, y, colours[i]);
    }
  }
  return img;
}

void expectColour(const QImage& fb, int x, int y, QColor want, int tol = 2) {
  const QColor c = fb.pixelColor(x, y);
  EXPECT_NEAR(c.red(), want.red(), tol) << "at " << x << "," << y;
  EXPECT_NEAR(c.green(), want.green(), tol) << "at " << x << "," << y;
  EXPECT_NEAR(c.blue(), want.blue(), tol) << "at " << x << "," << y;
}

class GlViewportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ATELIER_REQUIRE_DISPLAY();
    view_ = std::make_unique<GlViewport>();
    view_->resize(200, 100);
    view_->setHudVisible(false);
    view_->show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(view_.get()));
  }
  QImage frame() {
    QImage fb = view_->grabFramebuffer();
    EXPECT_TRUE(view_->glError().isEmpty()) << view_->glError().toStdString();
    return fb.convertToFormat(QImage::Format_RGB888);
  }
  std::unique_ptr<GlViewport> view_;
};

TEST_F(GlViewportTest, FitDrawsImageWithCorrectOrientation) {
  view_->setImage(bands(2, 1, {Qt::red, Qt::green}));
  view_->fitToWindow();
  QImage fb = frame();
  ASSERT_EQ(fb.size(), QSize(200, 100));
  expectColour(fb, 50, 50, Qt::red);
  expectColour(fb, 150, 50, Qt::green);
  // Top/bottom: a 1x2 image (red over blue) fitted into 200x100 -> centred 50-pixel-wide column.
  view_->setImage(bands(1, 2, {Qt::red, Qt::blue}, false));
  fb = frame();
  expectColour(fb, 100, 25, Qt::red);
  expectColour(fb, 100, 75, Qt::blue);
  expectColour(fb, 10, 50, QColor(28, 28, 31), 3);   // background outside the image
}

TEST_F(GlViewportTest, ActualSizeShowsOnePixelPerPixel) {
  view_->setImage(bands(20, 10, {Qt::white, Qt::black}));
  view_->actualSize();
  QImage fb = frame();
  // 20x10 centred in 200x100: x in [90,110), y in [45,55).
  expectColour(fb, 91, 50, Qt::white);
  expectColour(fb, 108, 50, Qt::black);
  expectColour(fb, 85, 50, QColor(28, 28, 31), 3);
  expectColour(fb, 100, 57, QColor(28, 28, 31), 3);
}

TEST_F(GlViewportTest, BeforeAfterSplitAndChannelView) {
  view_->setImage(bands(2, 1, {QColor(200, 40, 10), QColor(200, 40, 10)}));
  view_->setBeforeImage(bands(2, 1, {Qt::blue, Qt::blue}));
  view_->fitToWindow();
  view_->setSplit(0.5);
  QImage fb = frame();
  expectColour(fb, 40, 50, Qt::blue);                 // left of the split: before
  expectColour(fb, 160, 50, QColor(200, 40, 10));     // right: after
  view_->setSplit(-1);
  view_->setChannel(ChannelView::kRed);
  fb = frame();
  expectColour(fb, 40, 50, QColor(200, 200, 200));
  view_->setChannel(ChannelView::kGreen);
  fb = frame();
  expectColour(fb, 160, 50, QColor(40, 40, 40));
  view_->setChannel(ChannelView::kLuma);
  fb = frame();
  const int luma = static_cast<int>(0.2126 * 200 + 0.7152 * 40 + 0.0722 * 10 + 0.5);
  expectColour(fb, 100, 50, QColor(luma, luma, luma), 3);
}

TEST_F(GlViewportTest, ImGuiHudDrawsOverTheImage) {
  view_->resize(400, 300);
  QCoreApplication::processEvents();
  view_->setImage(bands(2, 1, {Qt::red, Qt::red}));
  view_->fitToWindow();
  const QImage plain = frame();
  ASSERT_EQ(plain.size(), QSize(400, 300));
  view_->setHudStats({"test.stage", 12.5, 256, "idle"});
  view_->setHudVisible(true);
  frame();   // ImGui lays out auto-sized windows on their first frame and draws them from the second
  const QImage hud = frame();
  ASSERT_TRUE(view_->glError().isEmpty()) << view_->glError().toStdString();
  int changed_top_left = 0, changed_bottom_right = 0;
  for (int y = 0; y < 40; ++y) {
    for (int x = 0; x < 60; ++x) {
      changed_top_left += plain.pixel(x + 10, y + 10) != hud.pixel(x + 10, y + 10);
      changed_bottom_right += plain.pixel(399 - x, 299 - y) != hud.pixel(399 - x, 299 - y);
    }
  }
  EXPECT_GT(changed_top_left, 500) << "HUD window should cover the top-left corner";
  EXPECT_EQ(changed_bottom_right, 0) << "HUD must not touch the rest of the image";
}

TEST_F(GlViewportTest, LargeResultIsUploadedInBandsAndShownWhole) {
  view_->setImage(bands(2, 1, {Qt::blue, Qt::blue}));
  view_->fitToWindow();
  expectColour(frame(), 100, 50, Qt::blue);
  // 2048x1024 RGBA = 8 MiB: one frame allocates the storage, then one band per frame; top red, bottom green.
  QImage red_top(2048, 1024, QImage::Format_RGBA8888);
  red_top.fill(Qt::green);
  const QColor red(Qt::red);
  for (int y = 0; y < 512; ++y) {
    for (int x = 0; x < 2048; ++x) { red_top.setPixelColor(x, y, red); }
  }
  // Frames until the new picture shows; before that the previous one stays whole (never half-updated).
  QColor shown_top = Qt::blue, shown_bottom = Qt::blue;
  auto frames_until = [&](QColor top, QColor bottom) {
    for (int n = 1; n <= 16; ++n) {
      const QImage fb = frame();
      const QColor t = fb.pixelColor(100, 30), b = fb.pixelColor(100, 70);
      if (t == top && b == bottom) {
        shown_top = top;
        shown_bottom = bottom;
        return n;
      }
      EXPECT_TRUE(t == shown_top && b == shown_bottom) << "frame " << n << " shows a partly uploaded picture";
    }
    return -1;
  };
  view_->setImage(red_top);
  view_->fitToWindow();
  const int bands_needed = static_cast<int>((red_top.sizeInBytes() + (2 << 20) - 1) / (2 << 20));
  EXPECT_EQ(frames_until(Qt::red, Qt::green), 1 + bands_needed);   // allocation frame + one frame per band
  // The staging texture is now the previous (2x1) one: reallocated once more, then reused (no allocation frame).
  const QImage green_top = red_top.mirrored(false, true);
  view_->setImage(green_top);
  EXPECT_EQ(frames_until(Qt::green, Qt::red), 1 + bands_needed);
  view_->setImage(red_top);
  EXPECT_EQ(frames_until(Qt::red, Qt::green), bands_needed);
}

// Dropped files reach fileDropped() whether the drop lands on the host widget or on the native GL window.
TEST_F(GlViewportTest, DroppedFilesAreReportedFromWidgetAndGlWindow) {
  QSignalSpy dropped(view_.get(), &GlViewport::fileDropped);
  QMimeData mime;
  mime.setUrls({QUrl("https://example.org/x.png"), QUrl::fromLocalFile("/tmp/photo.png")});
  QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QCoreApplication::sendEvent(view_->glWindow(), &enter);
  EXPECT_TRUE(enter.isAccepted());
  QDropEvent on_window(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QCoreApplication::sendEvent(view_->glWindow(), &on_window);
  QDragEnterEvent enter_widget(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QCoreApplication::sendEvent(view_.get(), &enter_widget);   // makes the widget the drag manager's target
  EXPECT_TRUE(enter_widget.isAccepted());
  QDropEvent on_widget(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QCoreApplication::sendEvent(view_.get(), &on_widget);
  ASSERT_EQ(dropped.count(), 2);
  EXPECT_EQ(dropped.at(0).at(0).toString(), "/tmp/photo.png");
  EXPECT_EQ(dropped.at(1).at(0).toString(), "/tmp/photo.png");
  QMimeData remote;
  remote.setUrls({QUrl("https://example.org/x.png")});
  QDropEvent none(QPointF(10, 10), Qt::CopyAction, &remote, Qt::LeftButton, Qt::NoModifier);
  QCoreApplication::sendEvent(view_->glWindow(), &none);
  EXPECT_EQ(dropped.count(), 2) << "no local file: nothing to open";
}

}  // namespace
}  // namespace atelier::gui
