// Shared helpers for atelier-cli subcommands: progress bar, error reporting, demo registry.
// Each module's cmd_<mod>.cpp defines add<Mod>Commands(CLI::App&) and may register a demo step.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/stage.h"
#include "atelier/status.h"

namespace CLI { class App; }

namespace atelier::cli {

// Text progress bar on stderr: "[#####-----] 12/20 unet 1.3 it/s ETA 6s". Redraws at most 10×/s;
// prints nothing when stderr is not a terminal unless `force` (then one line per 10 %).
class ProgressBar : public ProgressSink {
 public:
  explicit ProgressBar(std::string label, bool force = false);
  ~ProgressBar() override;
  void report(int64_t done, int64_t total, std::string_view what) override;
  void finish();                                  // final newline (idempotent)
 private:
  std::string label_;
  bool tty_, force_, finished_ = false;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// Prints "error: <message>" to stderr for a failed status; returns the process exit code (0 or 1).
int reportStatus(const Status& s);
// reportStatus + records the code as the process exit code (main returns it). Use in subcommand callbacks.
int runAndReport(const Status& s);
void setExitCode(int code);
int exitCode();

// Paths: repo source dir (compile-time), assets dir, default output dir.
std::string sourceDir();
std::string assetsDir();                           // $ATELIER_ASSETS or <source>/assets
std::string sharedDir();                           // $ATELIER_SHARED_DIR or <source>/../shared

// Demo registry: every module registers what it can show on bundled/sample inputs.
struct DemoContext {
  std::string out_dir;                             // write results here
  std::string device = "cpu";
  bool quick = false;                              // smaller inputs (used by tests)
};
// A step returns OK after writing its results into `report`; to skip (e.g. no model available) it sets
// report["skipped"] = reason and returns OK.
using DemoFn = std::function<Status(const DemoContext&, nlohmann::json& report)>;
void addDemoStep(std::string name, DemoFn fn);     // call from add<Mod>Commands
const std::vector<std::pair<std::string, DemoFn>>& demoSteps();

// Command registration (defined per module).
void addCoreCommands(CLI::App& app);
void addDemoCommand(CLI::App& app);
void addSdDemoSteps();   // SD txt2img and editing demo steps (no-ops when those modules are absent)

}  // namespace atelier::cli
