// atelier: the Qt 6 workbench. `atelier [--session FILE] [--screenshot OUT.png] [IMAGE...]`
// --screenshot renders the window to a PNG after the session has loaded, then exits (tests, docs).
#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include <cstdio>
#include <string>
#include <vector>

#include "atelier/device.h"
#include "main_window.h"
#include "panels/dark_theme.h"
#ifdef ATELIER_GUI_HAVE_PIPELINES
#include "register_builtin.h"
#endif
#include "viewport/gl_viewport.h"

namespace {
// QGuiApplication consumes "-session"/"--session" (X11 session management) before our parser sees it, so the
// option is taken out of argv first. Returns the session path ("" when absent).
QString takeSessionArg(std::vector<char*>* args) {
  QString session;
  for (size_t i = 1; i < args->size();) {
    const std::string a = (*args)[i];
    if ((a == "--session" || a == "-session") && i + 1 < args->size()) {
      session = QString::fromLocal8Bit((*args)[i + 1]);
      args->erase(args->begin() + static_cast<long>(i), args->begin() + static_cast<long>(i) + 2);
    } else if (a.rfind("--session=", 0) == 0) {
      session = QString::fromLocal8Bit(a.substr(10).c_str());
      args->erase(args->begin() + static_cast<long>(i));
    } else {
      ++i;
    }
  }
  return session;
}
}  // namespace

int main(int argc, char** argv) {
  atelier::gui::configureDefaultSurfaceFormat();   // before QApplication
  std::vector<char*> args(argv, argv + argc);
  const QString session_path = takeSessionArg(&args);
  int app_argc = static_cast<int>(args.size());
  args.push_back(nullptr);
  QApplication app(app_argc, args.data());
  QApplication::setOrganizationName("atelier");
  QApplication::setApplicationName("atelier");
  QApplication::setApplicationVersion("0.1.0");
  atelier::panels::applyDarkTheme(app);

  QCommandLineParser cli;
  cli.setApplicationDescription("Atelier workbench: image pipelines on LibTorch");
  cli.addHelpOption();
  cli.addVersionOption();
  QCommandLineOption session_opt("session", "Load this session JSON at start.", "FILE");
  QCommandLineOption shot_opt("screenshot", "Render the window to this PNG after loading, then exit.", "FILE");
  QCommandLineOption settle_opt("settle-ms", "Milliseconds to let the window paint before --screenshot.", "MS", "600");
  cli.addOptions({session_opt, shot_opt, settle_opt});
  cli.addPositionalArgument("images", "Image files to open (the first one is shown).");
  cli.process(app);

  atelier::configureThreads();
#ifdef ATELIER_GUI_HAVE_PIPELINES
  atelier::registerBuiltinStages();
#endif
  atelier::gui::MainWindow window;
  const bool screenshot = cli.isSet(shot_opt);
  window.setInteractive(!screenshot);
  if (!session_path.isEmpty()) { window.loadSessionFile(session_path); }
  for (const QString& img : cli.positionalArguments()) {
    if (window.openImage(img)) { break; }
  }
  window.show();
  if (!screenshot) { return app.exec(); }

  QString error;
  const bool ok = atelier::gui::saveWindowScreenshot(window, cli.value(shot_opt), cli.value(settle_opt).toInt(), &error);
  for (const QString& e : window.errors()) { std::fprintf(stderr, "atelier: %s\n", qPrintable(e)); }
  if (!ok) {
    std::fprintf(stderr, "atelier: %s\n", qPrintable(error));
    return 1;
  }
  std::printf("atelier: wrote %s (%dx%d)\n", qPrintable(cli.value(shot_opt)), window.width(), window.height());
  return 0;
}
