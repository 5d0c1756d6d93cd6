// Pipeline, quant/cache, latency and CTTA panels; recent files.
#include <gtest/gtest.h>

#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include "panels/ctta_dock.h"
#include "panels/latency_dock.h"
#include "panels/pipeline_dock.h"
#include "panels/quant_cache_dock.h"
#include "panels/recent_files.h"
#include "qt_test_app.h"

namespace atelier::panels {
namespace {

TEST(PipelineDock, SelectRunCancelAndJobStates) {
  test::qtApp();
  PipelineDock dock;
  dock.setStages({{"sr.esrgan.v1", "ESRGAN"}, {"test.fake.v1", "test.fake.v1"}});
  EXPECT_FALSE(dock.runButton()->isEnabled()) << "nothing selected yet";
  QSignalSpy selected(&dock, &PipelineDock::stageSelected);
  QSignalSpy run(&dock, &PipelineDock::runRequested);
  QSignalSpy cancel(&dock, &PipelineDock::cancelRequested);
  EXPECT_FALSE(dock.setCurrentStage("nope"));
  ASSERT_TRUE(dock.setCurrentStage("test.fake.v1"));
  ASSERT_EQ(selected.count(), 1);
  EXPECT_EQ(selected[0][0].toString(), "test.fake.v1");
  EXPECT_EQ(dock.currentStage(), "test.fake.v1");
  dock.show();
  QTest::mouseClick(dock.runButton(), Qt::LeftButton);
  QTest::mouseClick(dock.cancelButton(), Qt::LeftButton);
  EXPECT_EQ(run.count(), 1);
  EXPECT_EQ(cancel.count(), 1);
  dock.addJob(0, "a.png");
  dock.addJob(1, "b.png");
  dock.setJobState(0, JobState::kDone);
  dock.setJobState(1, JobState::kFailed, "boom");
  EXPECT_EQ(dock.jobCount(), 2);
  EXPECT_EQ(dock.jobState(0), JobState::kDone);
  EXPECT_EQ(dock.jobState(1), JobState::kFailed);
  EXPECT_EQ(dock.jobState(7), JobState::kInvalid);
  dock.setProgress(3, 10, true, 2);   // must not crash with any combination
  dock.setProgress(0, 0, true, 0);
  dock.setProgress(0, 0, false, 0);
}

TEST(QuantCacheDock, TakesOnlyPrecisionAndCacheParams) {
  test::qtApp();
  const std::vector<ParamSpec> all = {
      ParamSpec::Int("steps", "Steps", 20, 1, 50),
      ParamSpec::Choice("unet_dtype", "UNet precision", "fp32", {"fp32", "fp16", "bf16"}),
      ParamSpec::Bool("deep_cache", "DeepCache", false),
      ParamSpec::Choice("vae_quant", "VAE quant", "none", {"none", "int8"})};
  std::vector<ParamSpec> general, qc;
  splitSpecs(all, &general, &qc);
  ASSERT_EQ(general.size(), 1u);
  EXPECT_EQ(general[0].id, "steps");
  ASSERT_EQ(qc.size(), 3u);
  QuantCacheDock dock;
  dock.setSpecs(qc);
  EXPECT_NE(dock.form()->editorFor("unet_dtype"), nullptr);
  EXPECT_EQ(dock.form()->editorFor("steps"), nullptr);
  EXPECT_TRUE(dock.form()->setValue("unet_dtype", std::string("bf16")));
  EXPECT_EQ(dock.form()->values().at("unet_dtype"), ParamValue(std::string("bf16")));
  dock.setMemory(64.0 * 1024 * 1024, 32.0 * 1024 * 1024);
  EXPECT_TRUE(dock.findChild<QLabel*>("memory")->text().contains("64.0 MB"));
}

ProfileReport report(int64_t count_a, double last_a) {
  ProfileReport r;
  ZoneStats a;
  a.name = "stage.fake";
  a.count = count_a;
  a.last_ms = last_a;
  a.p50_ms = 10;
  a.p95_ms = 19;
  a.p99_ms = 20;
  ZoneStats b;
  b.name = "unet.forward";
  b.count = 3;
  b.last_ms = 5;
  b.p50_ms = 5;
  b.p95_ms = 6;
  b.p99_ms = 7;
  r.zones = {a, b};
  r.counters["vram_bytes"] = 1024;
  return r;
}

TEST(LatencyDock, TablePlotAndExport) {
  test::qtApp();
  LatencyDock dock;
  dock.updateReport(report(1, 12.0), 0.0);
  ASSERT_EQ(dock.table()->rowCount(), 2);
  EXPECT_EQ(dock.table()->item(0, 0)->text(), "stage.fake");
  EXPECT_EQ(dock.table()->item(0, 4)->text(), "19.00");
  EXPECT_EQ(dock.table()->item(1, 5)->text(), "7.00");
  EXPECT_EQ(dock.seriesCount(), 2);
  dock.updateReport(report(1, 12.0), 0.5);   // nothing new: no new point
  EXPECT_EQ(dock.pointCount("stage.fake"), 1);
  dock.updateReport(report(2, 15.0), 1.0);
  EXPECT_EQ(dock.pointCount("stage.fake"), 2);
  EXPECT_EQ(dock.pointCount("unet.forward"), 1);
  QTemporaryDir tmp;
  ASSERT_TRUE(dock.exportTo(tmp.filePath("l.csv")).isEmpty());
  ASSERT_TRUE(dock.exportTo(tmp.filePath("l.json")).isEmpty());
  QFile csv(tmp.filePath("l.csv")), json(tmp.filePath("l.json"));
  ASSERT_TRUE(csv.open(QIODevice::ReadOnly));
  ASSERT_TRUE(json.open(QIODevice::ReadOnly));
  EXPECT_EQ(csv.readAll().toStdString(), dock.lastReport().toCsv());
  EXPECT_EQ(json.readAll().toStdString(), dock.lastReport().toJson());
  EXPECT_FALSE(dock.exportTo(tmp.filePath("no/dir/x.json")).isEmpty());
}

TEST(CttaDock, DisabledWithoutStageAndRunningAccuracy) {
  test::qtApp();
  CttaDock dock;
  EXPECT_FALSE(dock.isAvailable());
  EXPECT_FALSE(dock.isEnabled());
  dock.setAvailable(true);
  EXPECT_TRUE(dock.isEnabled());
  EXPECT_LT(dock.runningAccuracy(), 0);
  dock.addSample(0, {{"correct", 1}, {"entropy", 0.5}, {"prediction", 3}});
  dock.addSample(1, {{"correct", 0}, {"entropy", 1.5}, {"prediction", 7}});
  dock.addSample(2, {{"correct", 1}, {"entropy", 0.2}, {"prediction", 3}});
  EXPECT_EQ(dock.sampleCount(), 3);
  EXPECT_NEAR(dock.runningAccuracy(), 2.0 / 3.0, 1e-12);
  dock.addSample(3, {{"error", 0.25}, {"pred", 4}});   // the ctta stages' keys
  EXPECT_NEAR(dock.runningAccuracy(), (2.0 + 0.75) / 4.0, 1e-12);
  dock.addSample(4, {{"accuracy", 0.9}});
  EXPECT_NEAR(dock.runningAccuracy(), 0.9, 1e-12);
  QSignalSpy inj(&dock, &CttaDock::injectorChanged);
  dock.setInjectorSupported(true);
  auto* combo = dock.findChild<QComboBox*>("corruption");
  ASSERT_NE(combo, nullptr);
  EXPECT_EQ(combo->count(), 16);
  combo->setCurrentText("fog");
  ASSERT_EQ(inj.count(), 1);
  EXPECT_EQ(inj[0][0].toString(), "fog");
  EXPECT_EQ(inj[0][1].toInt(), 5);
  dock.clear();
  EXPECT_EQ(dock.sampleCount(), 0);
}

TEST(RecentFiles, MostRecentFirstBoundedUnique) {
  test::qtApp();
  RecentFiles recent("test_recent", 3);
  recent.clear();
  recent.add("/a.png");
  recent.add("/b.png");
  recent.add("/c.png");
  recent.add("/a.png");
  recent.add("/d.png");
  EXPECT_EQ(recent.list(), (QStringList{"/d.png", "/a.png", "/c.png"}));
  recent.clear();
  EXPECT_TRUE(recent.list().isEmpty());
}

}  // namespace
}  // namespace atelier::panels
