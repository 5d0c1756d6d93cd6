#include "sd/config_util.h"

#include <fstream>
#include <sstream>

namespace atelier::sd::detail {

Result<nlohmann::json> readJsonFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::NotFound(path + ": cannot open config file");
  std::stringstream ss;
  ss << f.rdbuf();
  try {
    return nlohmann::json::parse(ss.str());
  } catch (const std::exception& e) {
    return Status::Corruption(path + ": invalid JSON: " + e.what());
  }
}

bool ConfigReader::present(const char* key) const {
  auto it = j_.find(key);
  return it != j_.end() && !it->is_null();
}

Status ConfigReader::typeError(const char* key, const char* want) const {
  return Status::InvalidArgument(label_ + ": config key '" + key + "' must be " + want + " (got " +
                                 j_.at(key).dump() + ")");
}

Status ConfigReader::getInt(const char* key, int64_t& out) const {
  if (!present(key)) return Status::Ok();
  const auto& v = j_.at(key);
  if (!v.is_number_integer()) return typeError(key, "an integer");
  out = v.get<int64_t>();
  return Status::Ok();
}

Status ConfigReader::getDouble(const char* key, double& out) const {
  if (!present(key)) return Status::Ok();
  const auto& v = j_.at(key);
  if (!v.is_number()) return typeError(key, "a number");
  out = v.get<double>();
  return Status::Ok();
}

Status ConfigReader::getBool(const char* key, bool& out) const {
  if (!present(key)) return Status::Ok();
  const auto& v = j_.at(key);
  if (!v.is_boolean()) return typeError(key, "true or false");
  out = v.get<bool>();
  return Status::Ok();
}

Status ConfigReader::getIntList(const char* key, std::vector<int64_t>& out) const {
  if (!present(key)) return Status::Ok();
  const auto& v = j_.at(key);
  if (!v.is_array()) return typeError(key, "a list of integers");
  std::vector<int64_t> r;
  for (const auto& e : v) {
    if (!e.is_number_integer()) return typeError(key, "a list of integers");
    r.push_back(e.get<int64_t>());
  }
  out = std::move(r);
  return Status::Ok();
}

Status ConfigReader::getStringList(const char* key, std::vector<std::string>& out) const {
  if (!present(key)) return Status::Ok();
  const auto& v = j_.at(key);
  if (!v.is_array()) return typeError(key, "a list of strings");
  std::vector<std::string> r;
  for (const auto& e : v) {
    if (!e.is_string()) return typeError(key, "a list of strings");
    r.push_back(e.get<std::string>());
  }
  out = std::move(r);
  return Status::Ok();
}

Status ConfigReader::getIntOrList(const char* key, size_t n, std::vector<int64_t>& out) const {
  if (!present(key)) {
    if (out.size() != n) out.assign(n, out.empty() ? 1 : out.front());
    return Status::Ok();
  }
  const auto& v = j_.at(key);
  if (v.is_number_integer()) {
    out.assign(n, v.get<int64_t>());
    return Status::Ok();
  }
  std::vector<int64_t> r;
  ATELIER_RETURN_IF_ERROR(getIntList(key, r));
  if (r.size() != n) {
    return Status::InvalidArgument(label_ + ": config key '" + key + "' has " + std::to_string(r.size()) +
                                   " entries, expected one per block (" + std::to_string(n) + ")");
  }
  out = std::move(r);
  return Status::Ok();
}

Status ConfigReader::expectString(const char* key, const std::vector<std::string>& allowed, bool required) const {
  if (!present(key)) {
    if (!required) return Status::Ok();
    return Status::InvalidArgument(label_ + ": missing config key '" + key + "'");
  }
  const auto& v = j_.at(key);
  if (v.is_string()) {
    for (const auto& a : allowed) {
      if (v.get<std::string>() == a) return Status::Ok();
    }
  }
  return Status::Unsupported(label_ + ": config '" + key + "' = " + v.dump() + " is not supported (expected " +
                             allowed.front() + ")");
}

Status ConfigReader::expectFalse(const char* key) const {
  if (!present(key)) return Status::Ok();
  const auto& v = j_.at(key);
  if (v.is_boolean() && !v.get<bool>()) return Status::Ok();
  if (v.is_array()) {   // per-block lists (e.g. only_cross_attention) are fine when all false
    bool all_false = true;
    for (const auto& e : v) all_false = all_false && e.is_boolean() && !e.get<bool>();
    if (all_false) return Status::Ok();
  }
  return Status::Unsupported(label_ + ": config '" + key + "' = " + v.dump() + " is not supported (only false)");
}

Status ConfigReader::expectNull(const char* key) const {
  if (!present(key)) return Status::Ok();
  return Status::Unsupported(label_ + ": config '" + key + "' = " + j_.at(key).dump() +
                             " is not supported (only null)");
}

Status ConfigReader::expectNumber(const char* key, double value) const {
  if (!present(key)) return Status::Ok();
  const auto& v = j_.at(key);
  if (v.is_number() && v.get<double>() == value) return Status::Ok();
  return Status::Unsupported(label_ + ": config '" + key + "' = " + v.dump() + " is not supported (only " +
                             nlohmann::json(value).dump() + ")");
}

}  // namespace atelier::sd::detail
