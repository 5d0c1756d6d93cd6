// Core subcommands: `info` (versions, devices, stages) and `inspect FILE.safetensors`.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "atelier/device.h"
#include "atelier/safetensors.h"
#include "cli/common.h"

namespace atelier::cli {

namespace {
void printInfo(bool json) {
  nlohmann::json j;
  j["atelier"] = "0.1.0";
  j["libtorch"] = libtorchVersion();
  j["devices"] = nlohmann::json::array();
  for (const auto& d : listDevices()) {
    j["devices"].push_back({{"id", d.id}, {"name", d.name}, {"total_bytes", d.total_bytes},
                            {"free_bytes", d.free_bytes}});
  }
  j["stages"] = nlohmann::json::array();
  for (const auto& [id, label] : StageRegistry::global().list()) { j["stages"].push_back({{"id", id}, {"label", label}}); }
  if (json) {
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << "atelier 0.1.0, LibTorch " << libtorchVersion() << "\n";
  for (const auto& d : j["devices"]) {
    std::cout << "  device " << d["id"].get<std::string>() << ": " << d["name"].get<std::string>();
    if (d["total_bytes"].get<int64_t>() > 0) {
      std::cout << " (" << d["total_bytes"].get<int64_t>() / (1 << 20) << " MiB)";
    }
    std::cout << "\n";
  }
  for (const auto& s : j["stages"]) {
    std::cout << "  stage " << s["id"].get<std::string>() << ": " << s["label"].get<std::string>() << "\n";
  }
}

Status inspect(const std::string& path, bool json) {
  ATELIER_ASSIGN_OR_RETURN(auto f, SafetensorsFile::open(path));
  uint64_t total = 0;
  nlohmann::json j;
  j["file"] = path;
  j["metadata"] = f->metadata();
  j["tensors"] = nlohmann::json::array();
  for (const auto& t : f->tensors()) {
    total += t.end - t.begin;
    j["tensors"].push_back({{"name", t.name}, {"dtype", stDTypeName(t.dtype)}, {"shape", t.shape},
                            {"bytes", t.end - t.begin}});
  }
  j["count"] = f->tensors().size();
  j["total_bytes"] = total;
  if (json) {
    std::cout << j.dump(2) << "\n";
    return Status::Ok();
  }
  for (const auto& [k, v] : f->metadata()) { std::cout << "# " << k << " = " << v << "\n"; }
  for (const auto& t : f->tensors()) {
    std::string shape = "[";
    for (size_t i = 0; i < t.shape.size(); ++i) { shape += (i ? "," : "") + std::to_string(t.shape[i]); }
    shape += "]";
    std::printf("%-70s %-8s %-22s %llu\n", t.name.c_str(), stDTypeName(t.dtype), shape.c_str(),
                static_cast<unsigned long long>(t.end - t.begin));
  }
  std::printf("%zu tensors, %llu bytes\n", f->tensors().size(), static_cast<unsigned long long>(total));
  return Status::Ok();
}
}  // namespace

void addCoreCommands(CLI::App& app) {
  auto* info = app.add_subcommand("info", "Versions, devices and registered stages");
  auto info_json = std::make_shared<bool>(false);
  info->add_flag("--json", *info_json, "Print JSON");
  info->callback([info_json] { printInfo(*info_json); });

  auto* ins = app.add_subcommand("inspect", "List the tensors of a .safetensors file (exit 1 when malformed)");
  auto path = std::make_shared<std::string>();
  auto ins_json = std::make_shared<bool>(false);
  ins->add_option("file", *path, "FILE.safetensors")->required();
  ins->add_flag("--json", *ins_json, "Print JSON");
  ins->callback([path, ins_json] { runAndReport(inspect(*path, *ins_json)); });
}

}  // namespace atelier::cli
