// Helpers for the ctta tests: the shared folder and closeness checks.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace ctta_test {
inline std::string sharedDir() {
  if (const char* e = std::getenv("ATELIER_SHARED_DIR"); e && *e) return e;
  return ATELIER_SHARED_DIR;
}
inline bool haveShared() { return std::filesystem::exists(sharedDir() + "/models/wrn16_4_cifar10.safetensors"); }
}  // namespace ctta_test

#define CTTA_REQUIRE_SHARED()                                                                      \
  if (!ctta_test::haveShared()) GTEST_SKIP() << "shared reference folder absent: " << ctta_test::sharedDir()
