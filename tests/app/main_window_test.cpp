// MainWindow under xvfb: default session, stage selection, generated params + undo, a job end to end,
// session save/load, screenshots (in-process and through `atelier --screenshot`).
#include "main_window.h"

#include <gtest/gtest.h>

#include <QComboBox>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QSpinBox>
#include <QDoubleSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QUndoStack>

#include <set>

#include "avi_writer.h"
#include "gui_fakes.h"
#include "gui_test_app.h"
#include "panels/ctta_dock.h"
#include "panels/param_form.h"
#include "panels/pipeline_dock.h"
#include "panels/quant_cache_dock.h"
#include "viewport/gl_viewport.h"

namespace atelier::gui {
namespace {

const QString kDefaultSession = QString(ATELIER_SOURCE_DIR) + "/assets/session/default.json";

// Distinct colours in a sparse grid: a blank or single-colour render has very few.
int distinctColours(const QImage& img) {
  std::set<QRgb> colours;
  for (int y = 0; y < img.height(); y += 7) {
    for (int x = 0; x < img.width(); x += 7) { colours.insert(img.pixel(x, y)); }
  }
  return static_cast<int>(colours.size());
}

class MainWindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ATELIER_REQUIRE_DISPLAY();
    test::registerFakeStages();
    win_ = std::make_unique<MainWindow>();
    win_->setInteractive(false);
    win_->show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(win_.get()));
  }
  std::unique_ptr<MainWindow> win_;
};

TEST_F(MainWindowTest, DefaultSessionOpensSamplePhotoAndFallsBackGracefully) {
  ASSERT_TRUE(win_->loadSessionFile(kDefaultSession)) << win_->errors().join("; ").toStdString();
  EXPECT_EQ(win_->sourceImage().size(), QSize(512, 512));
  EXPECT_EQ(win_->viewport()->image().size(), QSize(512, 512));
  EXPECT_TRUE(win_->currentStage().isEmpty()) << "no sr./sd./edit./ctta. stage in this test binary";
  EXPECT_TRUE(win_->errors().isEmpty()) << win_->errors().join("; ").toStdString();
}

TEST_F(MainWindowTest, GeneratedParamsUndoAndJobEndToEnd) {
  ASSERT_TRUE(win_->openImage(QString(ATELIER_SOURCE_DIR) + "/assets/sample/astronaut.jpg"));
  ASSERT_TRUE(win_->selectStage("test.image.v1"));
  EXPECT_FALSE(win_->selectStage("no.such.stage"));
  EXPECT_EQ(win_->errors().size(), 1);
  panels::ParamForm* form = win_->paramForm();
  ASSERT_NE(form->editorFor("gain"), nullptr);
  EXPECT_EQ(form->editorFor("model_dtype"), nullptr) << "precision params live in the quant & cache panel";
  EXPECT_NE(win_->quantDock()->form()->editorFor("model_dtype"), nullptr);
  auto* gain = qobject_cast<QDoubleSpinBox*>(form->editorFor("gain"));
  ASSERT_NE(gain, nullptr);
  gain->setValue(0.5);   // a user edit
  ASSERT_EQ(win_->undoStack()->count(), 1);
  win_->undoStack()->undo();
  EXPECT_EQ(form->values().at("gain"), ParamValue(1.0));
  win_->undoStack()->redo();
  EXPECT_EQ(form->values().at("gain"), ParamValue(0.5));

  QSignalSpy results(win_->bridge(), &RunnerBridge::resultReady);
  const int64_t job = win_->runCurrent();
  ASSERT_GE(job, 0);
  ASSERT_TRUE(results.wait(15000));
  QCoreApplication::processEvents();
  EXPECT_EQ(win_->pipelineDock()->jobState(job), panels::JobState::kDone);
  ASSERT_EQ(win_->resultImage().size(), QSize(512, 512));
  const QColor src = win_->sourceImage().pixelColor(100, 100), out = win_->resultImage().pixelColor(100, 100);
  EXPECT_NEAR(out.red(), src.red() * 0.5, 1.5);
  EXPECT_NEAR(out.green(), src.green() * 0.5, 1.5);

  // A failing job is a message and a failed job row, never a crash.
  form->setValue("fail", true);
  QSignalSpy errors(win_->bridge(), &RunnerBridge::errorOccurred);
  const int64_t bad = win_->runCurrent();
  ASSERT_TRUE(errors.wait(15000));
  QCoreApplication::processEvents();
  EXPECT_EQ(win_->pipelineDock()->jobState(bad), panels::JobState::kFailed);
  EXPECT_TRUE(win_->errors().last().contains("failing on purpose"));

  QTemporaryDir tmp;
  ASSERT_TRUE(win_->saveResultPng(tmp.filePath("r.png")));
  QImage saved(tmp.filePath("r.png"));
  EXPECT_EQ(saved.text("atelier.stage"), "test.image.v1");
  EXPECT_TRUE(saved.text("parameters").contains("\"gain\":0.5"));
}

TEST_F(MainWindowTest, CttaInjectorDrivesTheStageParameter) {
  ASSERT_TRUE(win_->selectStage("test.image.v1"));
  auto* combo = win_->cttaDock()->findChild<QComboBox*>("corruption");
  auto* severity = win_->cttaDock()->findChild<QSpinBox*>("severity");
  ASSERT_NE(combo, nullptr);
  ASSERT_TRUE(combo->isEnabledTo(win_->cttaDock())) << "the stage declares inject (panel itself: no ctta stage here)";
  severity->setValue(3);
  combo->setCurrentText("fog");
  EXPECT_EQ(win_->paramForm()->values().at("inject"), ParamValue(std::string("fog:3")));
  combo->setCurrentText("none");
  EXPECT_EQ(win_->paramForm()->values().at("inject"), ParamValue(std::string()));
}

TEST_F(MainWindowTest, SessionRoundTripThroughTheWindow) {
  ASSERT_TRUE(win_->openImage(QString(ATELIER_SOURCE_DIR) + "/assets/sample/astronaut.jpg"));
  ASSERT_TRUE(win_->selectStage("test.image.v1"));
  win_->paramForm()->setValue("steps", int64_t{17});
  win_->quantDock()->form()->setValue("model_dtype", std::string("bf16"));
  win_->viewport()->setSplit(0.3);
  win_->viewport()->setChannel(ChannelView::kBlue);
  QTemporaryDir tmp;
  const QString path = tmp.filePath("session.json");
  ASSERT_TRUE(win_->saveSessionFile(path));

  MainWindow other;
  other.setInteractive(false);
  ASSERT_TRUE(other.loadSessionFile(path)) << other.errors().join("; ").toStdString();
  EXPECT_EQ(other.currentStage(), "test.image.v1");
  EXPECT_EQ(other.paramForm()->values().at("steps"), ParamValue(int64_t{17}));
  EXPECT_EQ(other.quantDock()->form()->values().at("model_dtype"), ParamValue(std::string("bf16")));
  EXPECT_EQ(other.sourceImage().size(), QSize(512, 512));
  EXPECT_DOUBLE_EQ(other.viewport()->split(), 0.3);
  EXPECT_EQ(other.viewport()->channel(), ChannelView::kBlue);
  EXPECT_FALSE(other.loadSessionFile(tmp.filePath("missing.json")));
  EXPECT_EQ(other.errors().size(), 1);
}

TEST_F(MainWindowTest, ScreenshotInProcess) {
  ASSERT_TRUE(win_->loadSessionFile(kDefaultSession));
  QTemporaryDir tmp;
  QString err;
  ASSERT_TRUE(saveWindowScreenshot(*win_, tmp.filePath("shot.png"), 300, &err)) << err.toStdString();
  const QImage shot(tmp.filePath("shot.png"));
  ASSERT_FALSE(shot.isNull());
  EXPECT_EQ(shot.size(), win_->size() * win_->devicePixelRatio());
  // The viewport (centre of the window) shows the photo, not the empty background.
  const QPoint c = win_->viewport()->mapTo(win_.get(), win_->viewport()->rect().center());
  const QImage centre = shot.copy(QRect(c - QPoint(60, 60), QSize(120, 120)));
  EXPECT_GT(distinctColours(centre), 50);
}

// Results share the undo stack with parameter edits: undo shows the previous result (then the source) again.
TEST_F(MainWindowTest, ResultsAreUndoable) {
  ASSERT_TRUE(win_->openImage(QString(ATELIER_SOURCE_DIR) + "/assets/sample/astronaut.jpg"));
  ASSERT_TRUE(win_->selectStage("test.image.v1"));
  QSignalSpy results(win_->bridge(), &RunnerBridge::resultReady);
  auto run_with_gain = [&](double gain) {
    win_->paramForm()->setValue("gain", gain);   // programmatic: not an undoable edit
    const int before = results.count();
    win_->runCurrent();
    return results.wait(15000) || results.count() > before;
  };
  ASSERT_TRUE(run_with_gain(0.5));
  const QImage first = win_->resultImage();
  ASSERT_TRUE(run_with_gain(0.25));
  const QImage second = win_->resultImage();
  ASSERT_EQ(win_->undoStack()->count(), 2);
  const QColor src = win_->sourceImage().pixelColor(100, 100);
  EXPECT_NEAR(second.pixelColor(100, 100).red(), src.red() * 0.25, 1.5);
  win_->undoStack()->undo();
  EXPECT_EQ(win_->resultImage(), first);
  EXPECT_EQ(win_->viewport()->image(), first);
  win_->undoStack()->undo();
  EXPECT_TRUE(win_->resultImage().isNull());
  EXPECT_EQ(win_->viewport()->image(), win_->sourceImage()) << "no result left: the viewport shows the source";
  win_->undoStack()->redo();
  win_->undoStack()->redo();
  EXPECT_EQ(win_->resultImage(), second);
  EXPECT_EQ(win_->viewport()->image(), second);
}

// A video file plays through the stage (live, drop-oldest); the CTTA panel plots its per-frame metrics;
// live results do not flood the undo stack; a missing webcam is a message.
TEST_F(MainWindowTest, VideoFilePlaysThroughTheStageAndFeedsTheCttaPanel) {
  EXPECT_FALSE(win_->openWebcam());
  ASSERT_FALSE(win_->errors().isEmpty());
  EXPECT_TRUE(win_->errors().last().contains("webcam")) << win_->errors().last().toStdString();
  QTemporaryDir tmp;
  const QString clip = tmp.filePath("clip.avi");
  ASSERT_TRUE(test::writeTestAvi(clip, 64, 48, 12, 30, {QColor(250, 0, 0), QColor(0, 0, 250)}));
  ASSERT_TRUE(win_->selectStage("test.image.v1"));
  win_->paramForm()->setValue("step_ms", int64_t{1});
  ASSERT_TRUE(MainWindow::isVideoPath(clip));
  ASSERT_TRUE(win_->openSource(clip)) << win_->errors().join("; ").toStdString();
  QSignalSpy ended(win_->bridge(), &RunnerBridge::videoEnded);
  ASSERT_TRUE(ended.wait(20000));
  ASSERT_TRUE(win_->bridge()->waitIdle(10000));
  QCoreApplication::processEvents();
  EXPECT_EQ(win_->framesShown(), 12);
  EXPECT_GE(win_->liveResultsReceived(), 1);
  EXPECT_EQ(win_->resultImage().size(), QSize(64, 48));
  EXPECT_EQ(win_->cttaDock()->sampleCount(), win_->liveResultsReceived());
  EXPECT_EQ(win_->undoStack()->count(), 0);
  EXPECT_TRUE(win_->videoActive());
  win_->stopVideo();
  EXPECT_FALSE(win_->videoActive());
}

TEST(AtelierExe, ScreenshotOption) {
  ATELIER_REQUIRE_DISPLAY();
  if (!QFile::exists(ATELIER_GUI_EXE)) { GTEST_SKIP() << "build the `atelier` target first: " << ATELIER_GUI_EXE; }
  QTemporaryDir tmp;
  const QString out = tmp.filePath("atelier.png");
  QProcess p;
  p.setProcessChannelMode(QProcess::MergedChannels);
  p.start(ATELIER_GUI_EXE, {"--screenshot", out, "--session", kDefaultSession});
  ASSERT_TRUE(p.waitForFinished(60000)) << "atelier did not exit";
  const QString log = QString::fromLocal8Bit(p.readAll());
  ASSERT_EQ(p.exitCode(), 0) << log.toStdString();
  const QImage shot(out);
  ASSERT_FALSE(shot.isNull()) << log.toStdString();
  EXPECT_GE(shot.width(), 800);
  EXPECT_GE(shot.height(), 500);
  EXPECT_GT(distinctColours(shot), 200) << "a window with the sample photo has many colours";
}

}  // namespace
}  // namespace atelier::gui
