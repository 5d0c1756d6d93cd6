// Video files and webcams as live sources through RunnerBridge: frames are decoded off the GUI thread, run
// through the stage via the drop-oldest live queue, and reach the GUI as `videoFrame` + live results.
// The video is written by the test (uncompressed AVI, avi_writer.h): no asset, no codec download.
#include <gtest/gtest.h>

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThread>

#include "avi_writer.h"
#include "gui_fakes.h"
#include "gui_test_app.h"
#include "runner_bridge.h"

namespace atelier::gui {
namespace {

const std::vector<QColor> kColours = {QColor(200, 40, 40), QColor(40, 200, 40), QColor(40, 40, 200)};

// Pumps events until `done()` or the timeout.
template <class F>
bool pumpUntil(F done, int timeout_ms) {
  QElapsedTimer t;
  t.start();
  while (!done() && t.elapsed() < timeout_ms) {
    QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    QThread::msleep(2);
  }
  return done();
}

class VideoSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::guiApp();
    test::registerFakeStages();
    ASSERT_TRUE(dir_.isValid());
    path_ = dir_.filePath("clip.avi");
    ASSERT_TRUE(test::writeTestAvi(path_, 48, 32, kFrames, 50, kColours));
    QString err;
    ASSERT_TRUE(bridge_.selectStage("test.image.v1", &err)) << err.toStdString();
    bridge_.setParams({{"gain", 0.5}, {"steps", int64_t{1}}, {"step_ms", int64_t{0}}});
  }
  // Starts the clip; skips the test when this build has no video support.
  void start() {
    QString err;
    const bool ok = bridge_.startVideo(path_, &err);
    if (!ok && err.contains("not built in")) { GTEST_SKIP() << err.toStdString(); }
    ASSERT_TRUE(ok) << err.toStdString();
  }
  static constexpr int kFrames = 15;
  QTemporaryDir dir_;
  QString path_;
  RunnerBridge bridge_;
};

TEST_F(VideoSourceTest, FramesRunThroughTheStageAsALiveSource) {
  QSignalSpy frames(&bridge_, &RunnerBridge::videoFrame);
  QSignalSpy results(&bridge_, &RunnerBridge::resultReady);
  QSignalSpy ended(&bridge_, &RunnerBridge::videoEnded);
  start();
  if (HasFatalFailure() || IsSkipped()) { return; }
  EXPECT_TRUE(bridge_.videoActive());
  ASSERT_TRUE(pumpUntil([&] { return ended.count() > 0; }, 20000)) << "video did not reach its end";
  EXPECT_TRUE(ended[0][0].toString().isEmpty()) << ended[0][0].toString().toStdString();
  ASSERT_TRUE(bridge_.waitIdle(10000));
  QCoreApplication::processEvents();
  ASSERT_EQ(frames.count(), kFrames);
  for (int i = 0; i < kFrames; ++i) {   // frame i shows colour i % 3 (raw video: exact)
    const QImage f = frames[i][0].value<QImage>();
    ASSERT_EQ(f.size(), QSize(48, 32));
    EXPECT_EQ(frames[i][1].toLongLong(), i);
    EXPECT_EQ(f.pixelColor(10, 10), kColours[size_t(i) % 3]) << "frame " << i;
  }
  // Live queue: some frames may be dropped under load, but results are live, ordered, and halved by the stage.
  ASSERT_GE(results.count(), 1);
  EXPECT_LE(results.count(), kFrames);
  int64_t last = -1;
  for (const auto& args : results) {
    const auto r = args[0].value<BridgeResult>();
    EXPECT_TRUE(r.live);
    EXPECT_GT(r.index, last);
    last = r.index;
    ASSERT_EQ(r.image.size(), QSize(48, 32));
    const QColor want = kColours[size_t(r.index) % 3];
    EXPECT_NEAR(r.image.pixelColor(5, 5).red(), want.red() * 0.5, 1.5);
    EXPECT_NEAR(r.image.pixelColor(5, 5).blue(), want.blue() * 0.5, 1.5);
  }
  bridge_.stopVideo();
  EXPECT_FALSE(bridge_.videoActive());
}

TEST_F(VideoSourceTest, PauseStopsFramesAndPlayResumes) {
  bridge_.setParams({{"steps", int64_t{1}}, {"step_ms", int64_t{0}}});
  QSignalSpy frames(&bridge_, &RunnerBridge::videoFrame);
  QSignalSpy ended(&bridge_, &RunnerBridge::videoEnded);
  start();
  if (HasFatalFailure() || IsSkipped()) { return; }
  ASSERT_TRUE(pumpUntil([&] { return frames.count() >= 2; }, 10000));
  bridge_.setVideoPaused(true);
  EXPECT_TRUE(bridge_.videoPaused());
  pumpUntil([] { return false; }, 100);   // a frame already being submitted may still arrive
  const int at_pause = frames.count();
  pumpUntil([] { return false; }, 300);   // 15 frames at 50 fps would all be done by now if it kept playing
  EXPECT_EQ(frames.count(), at_pause);
  EXPECT_LT(at_pause, kFrames);
  EXPECT_EQ(ended.count(), 0);
  bridge_.setVideoPaused(false);
  ASSERT_TRUE(pumpUntil([&] { return ended.count() > 0; }, 20000));
  EXPECT_EQ(frames.count(), kFrames);
}

TEST_F(VideoSourceTest, MissingFileOrCameraIsAClearError) {
  QString err;
  EXPECT_FALSE(bridge_.startVideo(dir_.filePath("missing.avi"), &err));
  EXPECT_FALSE(err.isEmpty());
  EXPECT_FALSE(bridge_.videoActive());
  err.clear();
  if (bridge_.startVideo("webcam:0", &err)) { GTEST_SKIP() << "a camera is connected: nothing to check"; }
  EXPECT_TRUE(err.contains("camera") || err.contains("not built in")) << err.toStdString();
  EXPECT_FALSE(bridge_.videoActive());
}

}  // namespace
}  // namespace atelier::gui
