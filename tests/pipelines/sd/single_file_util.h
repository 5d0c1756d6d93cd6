// Test helper: converts a diffusers folder to one LDM-keyed .safetensors with scripts/diffusers_to_ldm.py.
#pragma once

#include <cstdlib>
#include <string>

namespace atelier::test {

// True when python3 can be run (single-file round-trip tests skip otherwise).
inline bool havePython3() { return std::system("python3 -c pass >/dev/null 2>&1") == 0; }

// Runs the converter; returns "" on success, else the command that failed.
inline std::string convertToSingleFile(const std::string& model_dir, const std::string& out) {
  const std::string cmd = "python3 '" + std::string(ATELIER_SOURCE_DIR) + "/scripts/diffusers_to_ldm.py' '" +
                          model_dir + "' '" + out + "' >/dev/null";
  return std::system(cmd.c_str()) == 0 ? std::string() : cmd;
}

}  // namespace atelier::test
