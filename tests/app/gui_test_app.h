// One QApplication per test executable. With an X display (ctest runs the GL cases under xvfb-run) the xcb
// platform is used; without one the offscreen platform is used and GL cases skip themselves.
#pragma once

#include <QApplication>
#include <QStandardPaths>

#include "main_window.h"

namespace atelier::test {

inline bool haveDisplay() { return !qEnvironmentVariableIsEmpty("DISPLAY"); }

inline QApplication& guiApp() {
  static int argc = 1;
  static char name[] = "test_app";
  static char* argv[] = {name, nullptr};
  static QApplication* app = [] {
    if (!haveDisplay() && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) { qputenv("QT_QPA_PLATFORM", "offscreen"); }
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("atelier-test");
    QCoreApplication::setApplicationName("test_app");
    gui::configureDefaultSurfaceFormat();
    return new QApplication(argc, argv);
  }();
  return *app;
}

}  // namespace atelier::test

// The GL view needs a real (X) display here: Qt 6.4's offscreen platform has no GL surfaces (build-notes trap 4).
#define ATELIER_REQUIRE_DISPLAY()                                                                    \
  do {                                                                                               \
    ::atelier::test::guiApp();                                                                       \
    if (!::atelier::test::haveDisplay()) {                                                           \
      GTEST_SKIP() << "needs an X display: ctest runs this under xvfb-run (test_app_xvfb)";          \
    }                                                                                                \
  } while (0)
