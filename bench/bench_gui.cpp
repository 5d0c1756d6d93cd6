// bench_gui: UI event-loop stall while a real stage runs on the runner thread (issue 6 "UI never blocks").
// A 5 ms QTimer stands in for the GUI; we report the largest gap between its ticks while jobs run (and the
// p99, the number of gaps over 50 ms), job latency and the load averages at the end (the box is shared).
// The GUI thread does what MainWindow does per result: receives the ready QImage and converts it to the
// viewport's texture format (RGBA8888). Prints JSON to stdout (and to --out FILE). Usage:
//   bench_gui [--stage ID] [--image PATH] [--size N] [--jobs N] [--out FILE]
//   bench_gui --window ...   (under xvfb-run) the same through the real MainWindow: GL viewport texture
//                            upload, ImGui HUD, docks and the 30 Hz poll all run on the measured thread
//   bench_gui --video PATH|webcam [--stage ID]   plays the video as a live source instead (frames decoded on the
//                                                bridge's feeder thread; drop-oldest queue) until its end
// Worker tuning (RunnerBridge defaults on <= 4 cores: cores-1 intra-op threads, nice 5): ATELIER_GUI_WORKER_THREADS,
// ATELIER_GUI_WORKER_NICE. ATELIER_BENCH_TRACE=1: print long gaps, result arrivals and slow event dispatches
// (wall and GUI-thread CPU ms); ATELIER_BENCH_BT=1 adds a backtrace for each synchronous (nested) repaint.
// Default stage: the first registered "sr." stage, else the first stage; default image: assets/sample.
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QApplication>
#include <QImage>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <execinfo.h>
#include <time.h>
#include <memory>
#include <cstdio>
#include <string>
#include <vector>

#include "atelier/device.h"
#include "atelier/profiler.h"
#include "register_builtin.h"
#include "main_window.h"
#include "viewport/gl_viewport.h"
#include "runner_bridge.h"

namespace {
// ATELIER_BENCH_TRACE=1: every event dispatch on the GUI thread that takes > 15 ms is printed with its receiver
// and type (nested dispatches too, indented), so a long gap can be attributed.
class TracingApp : public QApplication {
 public:
  using QApplication::QApplication;
  QElapsedTimer* clock = nullptr;
  bool notify(QObject* receiver, QEvent* e) override {
    if (!clock || !clock->isValid()) { return QApplication::notify(receiver, e); }
    const int type = static_cast<int>(e->type());
    const qint64 t0 = clock->nsecsElapsed();
    if (type == QEvent::UpdateRequest && depth_ > 0 && qEnvironmentVariableIsSet("ATELIER_BENCH_BT")) {
      void* frames[40];   // who repaints synchronously inside another event
      backtrace_symbols_fd(frames, backtrace(frames, 40), 2);
    }
    timespec c0{}, c1{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    ++depth_;
    const bool r = QApplication::notify(receiver, e);
    --depth_;
    const double ms = static_cast<double>(clock->nsecsElapsed() - t0) / 1e6;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    const double cpu_ms = (c1.tv_sec - c0.tv_sec) * 1e3 + (c1.tv_nsec - c0.tv_nsec) / 1e6;
    if (ms > 15) {
      std::fprintf(stderr, "%*sevent %d -> %s(%s) %.1f ms (GUI-thread CPU %.1f ms) ending at %.0f ms\n", 2 * depth_, "",
                   type, receiver->metaObject()->className(), qPrintable(receiver->objectName()), ms, cpu_ms,
                   static_cast<double>(clock->nsecsElapsed()) / 1e6);
    }
    return r;
  }

 private:
  int depth_ = 0;
};
}  // namespace

int main(int argc, char** argv) {
  bool window_mode = false;   // decided before QApplication: the GL surface format must be set first
  for (int i = 1; i < argc; ++i) { window_mode = window_mode || std::string(argv[i]) == "--window"; }
  if (window_mode) {
    atelier::gui::configureDefaultSurfaceFormat();
  } else if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
  }
  TracingApp app(argc, argv);
  QCommandLineParser cli;
  cli.addHelpOption();
  QCommandLineOption stage_opt("stage", "Stage id.", "ID");
  QCommandLineOption image_opt("image", "Input image.", "PATH", ATELIER_ASSETS_DIR "/sample/astronaut.jpg");
  QCommandLineOption size_opt("size", "Resize the input to NxN (0: keep).", "N", "128");
  QCommandLineOption jobs_opt("jobs", "Number of jobs.", "N", "3");
  QCommandLineOption out_opt("out", "Also write the JSON here.", "FILE");
  QCommandLineOption video_opt("video", "Play this video file (or webcam[:N]) as a live source.", "PATH");
  QCommandLineOption window_opt("window", "Run through the real MainWindow (needs an X display: xvfb-run).");
  cli.addOptions({stage_opt, image_opt, size_opt, jobs_opt, out_opt, video_opt, window_opt});
  cli.process(app);

  atelier::configureThreads();
  atelier::registerBuiltinStages();
  std::string stage = cli.value(stage_opt).toStdString();
  const auto stages = atelier::gui::RunnerBridge::stages();
  for (const auto& [id, label] : stages) {
    if (stage.empty() && id.rfind("sr.", 0) == 0) { stage = id; }
  }
  if (stage.empty() && !stages.empty()) { stage = stages.front().first; }
  std::unique_ptr<atelier::gui::MainWindow> window;
  std::unique_ptr<atelier::gui::RunnerBridge> own_bridge;
  if (window_mode) {
    window = std::make_unique<atelier::gui::MainWindow>();
    window->setInteractive(false);
    if (qEnvironmentVariableIntValue("ATELIER_BENCH_NO_HUD")) { window->viewport()->setHudVisible(false); }
    window->show();
  } else {
    own_bridge = std::make_unique<atelier::gui::RunnerBridge>();
  }
  atelier::gui::RunnerBridge& bridge = window ? *window->bridge() : *own_bridge;
  QString err;
  if (stage.empty() || (window ? !window->selectStage(QString::fromStdString(stage)) : !bridge.selectStage(stage, &err))) {
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
  QTemporaryDir tmp;
  if (window && !(img.save(tmp.filePath("input.png")) && window->openImage(tmp.filePath("input.png")))) {
    std::fprintf(stderr, "bench_gui: the window cannot open the input\n");
    return 1;
  }
  if (window) {   // let the window map and paint once: start-up painting is not "while a job runs"
    QElapsedTimer settle;
    settle.start();
    while (settle.elapsed() < 500) { QCoreApplication::processEvents(QEventLoop::AllEvents, 20); }
  }
  const bool video = cli.isSet(video_opt);
  const int jobs = video ? 0 : std::max(1, cli.value(jobs_opt).toInt());

  QEventLoop loop;
  QElapsedTimer clock;
  qint64 last = 0, max_gap = 0;
  std::vector<double> gaps;
  QTimer timer;
  QObject::connect(&timer, &QTimer::timeout, [&] {
    const qint64 now = clock.elapsed();
    gaps.push_back(static_cast<double>(now - last));
    if (now - last > 50 && qEnvironmentVariableIsSet("ATELIER_BENCH_TRACE")) {   // where the long gaps fall
      std::fprintf(stderr, "gap %lld ms ending at %lld ms\n", static_cast<long long>(now - last), static_cast<long long>(now));
    }
    max_gap = std::max(max_gap, now - last);
    last = now;
    (void)bridge.progress();
  });
  int finished = 0, failed = 0;
  qint64 result_bytes = 0;
  auto one_done = [&] {
    if (++finished == jobs) { QTimer::singleShot(300, &loop, &QEventLoop::quit); }   // + the last upload/paint
  };
  QObject::connect(&bridge, &atelier::gui::RunnerBridge::resultReady, &loop,
                   [&](const atelier::gui::BridgeResult& r) {
                     if (qEnvironmentVariableIsSet("ATELIER_BENCH_TRACE")) {
                       std::fprintf(stderr, "result at %lld ms\n", static_cast<long long>(clock.elapsed()));
                     }
                     const QImage tex = r.image.convertToFormat(QImage::Format_RGBA8888);   // GlViewport::upload
                     result_bytes += tex.sizeInBytes();
                     one_done();
                   });
  QObject::connect(&bridge, &atelier::gui::RunnerBridge::errorOccurred, &loop, [&] { ++failed; one_done(); });
  int frames = 0;
  QString video_error;
  if (video) {
    QObject::connect(&bridge, &atelier::gui::RunnerBridge::videoFrame, &loop, [&](const QImage& f, qint64) {
      ++frames;
      result_bytes += f.convertToFormat(QImage::Format_RGBA8888).sizeInBytes();   // shown as the source
    });
    QObject::connect(&bridge, &atelier::gui::RunnerBridge::videoEnded, &loop, [&](const QString& e) {
      video_error = e;
      auto* poll = new QTimer(&loop);   // wait for the last queued frames without blocking the event loop
      QObject::connect(poll, &QTimer::timeout, &loop, [&] {
        const atelier::gui::BridgeProgress p = bridge.progress();
        if (!p.busy && p.queued == 0) { QTimer::singleShot(20, &loop, &QEventLoop::quit); }
      });
      poll->start(10);
    });
  }
  // Opening a video (demuxer/camera probe) happens on the GUI thread when the user picks it, once: timed
  // separately (open_ms), not as a stall of the running loop.
  QElapsedTimer open_clock;
  open_clock.start();
  if (video && (window ? !window->openVideo(cli.value(video_opt)) : !bridge.startVideo(cli.value(video_opt), &err))) {
    std::fprintf(stderr, "bench_gui: %s\n", qPrintable(err));
    return 1;
  }
  const double open_ms = video ? static_cast<double>(open_clock.nsecsElapsed()) / 1e6 : 0.0;
  clock.start();
  if (qEnvironmentVariableIsSet("ATELIER_BENCH_TRACE")) { app.clock = &clock; }
  timer.start(5);
  for (int i = 0; i < jobs; ++i) {
    if (window) {
      window->runCurrent();
    } else {
      bridge.submit(img, "bench", {});
    }
  }
  loop.exec();
  if (!video_error.isEmpty()) { std::fprintf(stderr, "bench_gui: video: %s\n", qPrintable(video_error)); }
  const double wall_ms = static_cast<double>(clock.elapsed());
  const atelier::ProfileReport rep = bridge.profile();
  const atelier::ZoneStats* z = rep.find("stage." + stage);
  const size_t over_50 = static_cast<size_t>(std::count_if(gaps.begin(), gaps.end(), [](double g) { return g > 50; }));
  QByteArray load = "?";
  if (QFile f("/proc/loadavg"); f.open(QIODevice::ReadOnly)) { load = f.readLine().trimmed(); }
  char json[1536];
  std::snprintf(json, sizeof(json),
                "{\"bench\":\"gui_event_loop_stall\",\"stage\":\"%s\",\"image\":\"%dx%d\",\"jobs\":%d,\"failed\":%d,"
                "\"wall_ms\":%.1f,\"stage_p50_ms\":%.2f,\"timer_ticks\":%zu,\"max_stall_ms\":%lld,"
                "\"p99_gap_ms\":%.1f,\"gaps_over_50ms\":%zu,\"result_mb\":%.1f,\"worker_threads_env\":\"%s\","
                "\"worker_nice_env\":\"%s\",\"video_frames\":%d,\"results\":%d,\"video_open_ms\":%.1f,\"window\":%s,\"loadavg\":\"%s\",\"libtorch\":\"%s\"}\n",
                stage.c_str(), img.width(), img.height(), jobs, failed, wall_ms, z ? z->p50_ms : 0.0, gaps.size(),
                static_cast<long long>(max_gap), atelier::percentile(gaps, 99), over_50,
                static_cast<double>(result_bytes) / 1e6, qgetenv("ATELIER_GUI_WORKER_THREADS").constData(),
                qgetenv("ATELIER_GUI_WORKER_NICE").constData(), frames, finished, open_ms, window ? "true" : "false", load.constData(), atelier::libtorchVersion().c_str());
  std::fputs(json, stdout);
  if (cli.isSet(out_opt)) {
    QFile f(cli.value(out_opt));
    if (f.open(QIODevice::WriteOnly)) { f.write(json); }
  }
  return (video ? finished == 0 : failed == jobs) ? 1 : 0;
}
