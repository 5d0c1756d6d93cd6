// One QApplication for the whole test executable, created on first use with the offscreen platform.
#pragma once

#include <QApplication>
#include <QStandardPaths>

namespace atelier::test {

inline QApplication& qtApp() {
  static int argc = 1;
  static char name[] = "test_panels";
  static char* argv[] = {name, nullptr};
  static QApplication* app = [] {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) { qputenv("QT_QPA_PLATFORM", "offscreen"); }
    QStandardPaths::setTestModeEnabled(true);   // QSettings go to a test location
    QCoreApplication::setOrganizationName("atelier-test");
    QCoreApplication::setApplicationName("test_panels");
    return new QApplication(argc, argv);
  }();
  return *app;
}

}  // namespace atelier::test
