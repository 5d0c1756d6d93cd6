// Internal helpers to read diffusers config.json files with clear, file-named errors.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "atelier/status.h"

namespace atelier::sd::detail {

// Reads and parses a JSON file; errors name the path.
Result<nlohmann::json> readJsonFile(const std::string& path);

// Typed accessors over one config object: an absent or null key keeps the caller's default.
class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& j, std::string label) : j_(j), label_(std::move(label)) {}
  bool present(const char* key) const;                       // key exists and is not null
  Status getInt(const char* key, int64_t& out) const;
  Status getDouble(const char* key, double& out) const;
  Status getBool(const char* key, bool& out) const;
  Status getIntList(const char* key, std::vector<int64_t>& out) const;
  Status getStringList(const char* key, std::vector<std::string>& out) const;
  // An int is broadcast to n entries; a list must have n entries.
  Status getIntOrList(const char* key, size_t n, std::vector<int64_t>& out) const;
  // Unsupported unless absent/null or one of `allowed` (required: absent is an error too).
  Status expectString(const char* key, const std::vector<std::string>& allowed, bool required = false) const;
  Status expectFalse(const char* key) const;                 // absent, null or false
  Status expectNull(const char* key) const;                  // absent or null
  Status expectNumber(const char* key, double value) const;  // absent, null or == value

 private:
  Status typeError(const char* key, const char* want) const;
  const nlohmann::json& j_;
  std::string label_;
};

}  // namespace atelier::sd::detail
