// `demo`: runs every registered demo step on bundled/sample inputs and writes results + report to out/.
#include <CLI/CLI.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "atelier/device.h"
#include "cli/common.h"

namespace atelier::cli {

namespace {
Status runDemo(const DemoContext& ctx, const std::vector<std::string>& only) {
  std::error_code ec;
  std::filesystem::create_directories(ctx.out_dir, ec);
  if (ec) { return Status::InvalidArgument(ctx.out_dir + ": cannot create output folder (" + ec.message() + ")"); }
  nlohmann::json report;
  report["libtorch"] = libtorchVersion();
  report["device"] = ctx.device;
  report["steps"] = nlohmann::json::array();
  int failed = 0;
  std::cout << "atelier demo → " << ctx.out_dir << " (" << demoSteps().size() << " steps)\n";
  for (const auto& [name, fn] : demoSteps()) {
    if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) { continue; }
    std::cout << "== " << name << "\n" << std::flush;
    nlohmann::json step;
    step["name"] = name;
    auto t0 = std::chrono::steady_clock::now();
    Status s;
    try {
      s = fn(ctx, step);
    } catch (const std::exception& e) {
      s = Status::Internal(name + ": " + e.what());
    }
    step["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    step["status"] = s.ok() ? (step.contains("skipped") ? "skipped" : "ok") : s.toString();
    if (!s.ok()) {
      ++failed;
      std::cout << "   failed: " << s.toString() << "\n";
    } else if (step.contains("skipped")) {
      std::cout << "   skipped: " << step["skipped"].get<std::string>() << "\n";
    } else {
      std::cout << "   ok (" << step["seconds"].get<double>() << " s)\n";
    }
    report["steps"].push_back(step);
  }
  std::ofstream(ctx.out_dir + "/report.json") << report.dump(2) << "\n";
  std::cout << "report: " << ctx.out_dir << "/report.json\n";
  if (failed > 0) { return Status::Internal(std::to_string(failed) + " demo step(s) failed; see report.json"); }
  return Status::Ok();
}
}  // namespace

void addDemoCommand(CLI::App& app) {
  auto* demo = app.add_subcommand("demo", "Run every pipeline on bundled/sample inputs; results + report in --out");
  auto ctx = std::make_shared<DemoContext>();
  ctx->out_dir = "out";
  auto only = std::make_shared<std::vector<std::string>>();
  demo->add_option("--out", ctx->out_dir, "Output folder")->capture_default_str();
  demo->add_option("--device", ctx->device, "cpu|cuda|auto")->capture_default_str();
  demo->add_flag("--quick", ctx->quick, "Smaller inputs (tests)");
  demo->add_option("--only", *only, "Run only these steps");
  demo->callback([ctx, only] {
    auto dev = parseDevice(ctx->device);
    if (!dev.ok()) {
      runAndReport(dev.status());
      return;
    }
    runAndReport(runDemo(*ctx, *only));
  });
  addSdDemoSteps();
  addDemoStep("core.devices", [](const DemoContext& c, nlohmann::json& rep) {
    rep["libtorch"] = libtorchVersion();
    rep["devices"] = nlohmann::json::array();
    for (const auto& d : listDevices()) { rep["devices"].push_back(d.id + ": " + d.name); }
    return Status::Ok();
  });
}

}  // namespace atelier::cli
