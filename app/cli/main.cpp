// atelier-cli: headless entry point for every pipeline. Subcommands come from app/cli/cmd_*.cpp.
#include <CLI/CLI.hpp>

#include <iostream>

#include "atelier/device.h"
#include "cli/common.h"
#include "register_builtin.h"

namespace atelier::cli {
#ifdef ATELIER_HAVE_SD
void addSdCommands(CLI::App& app);
#endif
#ifdef ATELIER_HAVE_SR
void addSrCommands(CLI::App& app);
#endif
#ifdef ATELIER_HAVE_CTTA
void addCttaCommands(CLI::App& app);
#endif
#ifdef ATELIER_HAVE_EDIT
void addEditCommands(CLI::App& app);
#endif
}  // namespace atelier::cli

int main(int argc, char** argv) {
  using namespace atelier;
  CLI::App app{"atelier-cli — training-free generative editing, super-resolution and test-time adaptation"};
  app.require_subcommand(1);
  int threads = 0;
  app.add_option("--threads", threads, "CPU threads for LibTorch (default: $ATELIER_THREADS or all cores)");
  app.parse_complete_callback([&] { configureThreads(threads); });
  registerBuiltinStages();
  cli::addCoreCommands(app);
#ifdef ATELIER_HAVE_SD
  cli::addSdCommands(app);
#endif
#ifdef ATELIER_HAVE_SR
  cli::addSrCommands(app);
#endif
#ifdef ATELIER_HAVE_CTTA
  cli::addCttaCommands(app);
#endif
#ifdef ATELIER_HAVE_EDIT
  cli::addEditCommands(app);
#endif
  cli::addDemoCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return cli::exitCode();
}
