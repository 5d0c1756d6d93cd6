// bench_gui: UI event-loop stall while a real stage runs on the runner thread (issue 6 "UI never blocks").
// A 5 ms QTimer stands in for the GUI; we report the largest gap between its ticks while jobs run, plus job
// latency. Prints JSON to stdout (and to --out FILE). Usage:
//   bench_gui [--stage ID] [--image PATH] [--size N] [--jobs N] [--out FILE]
// Default stage: the first registered "sr." stage, else the first stage; default image: assets/sample.
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QGuiApplication>
#include <QImage>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "atelier/device.h"
#include "atelier/profiler.h"
#include "register_builtin.h"
#include "runner_bridge.h"

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) { qputenv("QT_QPA_PLATFORM", "offscreen"); }
  QGuiApplication app(argc, argv);
  QCommandLineParser cli;
  cli.addHelpOption();
  QCommandLineOption stage_opt("stage", "Stage id.", "ID");
  QCommandLineOption image_opt("image", "Input image.", "PATH", ATELIER_ASSETS_DIR "/sample/astronaut.jpg");
  QCommandLineOption size_opt("size", "Resize the input to NxN (0: keep).", "N", "128");
  QCommandLineOption jobs_opt("jobs", "Number of jobs.", "N", "3");
  QCommandLineOption out_opt("out", "Also write the JSON here.", "FILE");
  cli.addOptions({stage_opt, image_opt, size_opt, jobs_opt, out_opt});
  cli.process(app);

  atelier::configureThreads();
  atelier::registerBuiltinStages();
  std::string stage = cli.value(stage_opt).toStdString();
  const auto stages = atelier::gui::RunnerBridge::stages();
  for (const auto& [id, label] : stages) {
    if (stage.empty() && id.rfind("sr.", 0) == 0) { stage = id; }
  }
  if (stage.empty() && !stages.empty()) { stage = stages.front().first; }
  atelier::gui::RunnerBridge bridge;
  QString err;
  if (stage.empty() || !bridge.selectStage(stage, &err)) {
    std::fprintf(stderr, "bench_gui: no usable stage (%s)\n", qPrintable(err));
    return 1;
  }
  QImage img(cli.value(image_opt));
  if (img.isNull()) {
    std::fprintf(stderr, "bench_gui: cannot read %s\n", qPrintable(cli.value(image_opt)));
    return 1;
  }
  const int size = cli.value(size_opt).toInt();
  if (size > 0) { img = img.scaled(size, size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation); }
  const int jobs = std::max(1, cli.value(jobs_opt).toInt());

  QEventLoop loop;
  QElapsedTimer clock;
  qint64 last = 0, max_gap = 0;
  std::vector<double> gaps;
  QTimer timer;
  QObject::connect(&timer, &QTimer::timeout, [&] {
    const qint64 now = clock.elapsed();
    gaps.push_back(static_cast<double>(now - last));
    max_gap = std::max(max_gap, now - last);
    last = now;
    (void)bridge.progress();
  });
  int finished = 0, failed = 0;
  auto one_done = [&] {
    if (++finished == jobs) { loop.quit(); }
  };
  QObject::connect(&bridge, &atelier::gui::RunnerBridge::resultReady, &loop, one_done);
  QObject::connect(&bridge, &atelier::gui::RunnerBridge::errorOccurred, &loop, [&] { ++failed; one_done(); });
  clock.start();
  timer.start(5);
  for (int i = 0; i < jobs; ++i) { bridge.submit(img, "bench", {}); }
  loop.exec();
  const double wall_ms = static_cast<double>(clock.elapsed());
  const atelier::ProfileReport rep = bridge.profile();
  const atelier::ZoneStats* z = rep.find("stage." + stage);
  char json[1024];
  std::snprintf(json, sizeof(json),
                "{\"bench\":\"gui_event_loop_stall\",\"stage\":\"%s\",\"image\":\"%dx%d\",\"jobs\":%d,\"failed\":%d,"
                "\"wall_ms\":%.1f,\"stage_p50_ms\":%.2f,\"timer_ticks\":%zu,\"max_stall_ms\":%lld,"
                "\"p99_gap_ms\":%.1f,\"libtorch\":\"%s\"}\n",
                stage.c_str(), img.width(), img.height(), jobs, failed, wall_ms, z ? z->p50_ms : 0.0, gaps.size(),
                static_cast<long long>(max_gap), atelier::percentile(gaps, 99), atelier::libtorchVersion().c_str());
  std::fputs(json, stdout);
  if (cli.isSet(out_opt)) {
    QFile f(cli.value(out_opt));
    if (f.open(QIODevice::WriteOnly)) { f.write(json); }
  }
  return failed == jobs ? 1 : 0;
}
