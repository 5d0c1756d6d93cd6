// ProgressBar, status reporting, paths and the demo registry.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/common.h"

#ifndef ATELIER_SOURCE_DIR_STR
#define ATELIER_SOURCE_DIR_STR "."
#endif

namespace atelier::cli {

ProgressBar::ProgressBar(std::string label, bool force)
    : label_(std::move(label)), tty_(::isatty(STDERR_FILENO) != 0), force_(force),
      start_(std::chrono::steady_clock::now()), last_draw_(start_ - std::chrono::seconds(1)) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::report(int64_t done, int64_t total, std::string_view what) {
  if (total <= 0) { return; }
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
  if (tty_) {
    if (done < total && now - last_draw_ < std::chrono::milliseconds(100)) { return; }
    last_draw_ = now;
    const int width = 30;
    int filled = static_cast<int>(width * done / total);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(width - filled), '-');
    std::fprintf(stderr, "\r%s [%s] %lld/%lld %.*s %.2f it/s ETA %.0fs   ", label_.c_str(), bar.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total), static_cast<int>(what.size()),
                 what.data(), rate, eta);
    std::fflush(stderr);
  } else if (force_) {
    int decile = static_cast<int>(10 * done / total);
    if (decile != last_decile_) {
      last_decile_ = decile;
      std::fprintf(stderr, "%s %lld/%lld (%.2f it/s)\n", label_.c_str(), static_cast<long long>(done),
                   static_cast<long long>(total), rate);
    }
  }
}

void ProgressBar::finish() {
  if (finished_) { return; }
  finished_ = true;
  if (tty_ && last_draw_ > start_) { std::fprintf(stderr, "\n"); }
}

int reportStatus(const Status& s) {
  if (s.ok()) { return 0; }
  std::cerr << "error: " << s.message() << "\n";
  return 1;
}

static int g_exit_code = 0;
void setExitCode(int code) { if (code != 0 && g_exit_code == 0) g_exit_code = code; }
int exitCode() { return g_exit_code; }
int runAndReport(const Status& s) {
  int rc = reportStatus(s);
  setExitCode(rc);
  return rc;
}

std::string sourceDir() { return ATELIER_SOURCE_DIR_STR; }

std::string assetsDir() {
  if (const char* e = std::getenv("ATELIER_ASSETS")) { if (*e) return e; }
  return sourceDir() + "/assets";
}

std::string sharedDir() {
  if (const char* e = std::getenv("ATELIER_SHARED_DIR")) { if (*e) return e; }
  return sourceDir() + "/../shared";
}

static std::vector<std::pair<std::string, DemoFn>>& registry() {
  static std::vector<std::pair<std::string, DemoFn>> steps;
  return steps;
}
void addDemoStep(std::string name, DemoFn fn) { registry().emplace_back(std::move(name), std::move(fn)); }
const std::vector<std::pair<std::string, DemoFn>>& demoSteps() { return registry(); }

}  // namespace atelier::cli
