// ParamSpec constructors, validation and parsing.
#include "atelier/param.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace atelier {

namespace {
ParamSpec make(std::string id, std::string label, ParamType t, ParamValue init, std::string help) {
  ParamSpec s;
  s.id = std::move(id);
  s.label = std::move(label);
  s.type = t;
  s.init = std::move(init);
  s.help = std::move(help);
  return s;
}

bool isNumber(const ParamValue& v) { return std::holds_alternative<int64_t>(v) || std::holds_alternative<double>(v); }
double asDouble(const ParamValue& v) {
  return std::holds_alternative<int64_t>(v) ? static_cast<double>(std::get<int64_t>(v)) : std::get<double>(v);
}
}  // namespace

ParamSpec ParamSpec::Bool(std::string id, std::string label, bool init, std::string help) {
  return make(std::move(id), std::move(label), ParamType::kBool, init, std::move(help));
}
ParamSpec ParamSpec::Int(std::string id, std::string label, int64_t init, int64_t lo, int64_t hi, std::string help) {
  auto s = make(std::move(id), std::move(label), ParamType::kInt, init, std::move(help));
  s.min = lo;
  s.max = hi;
  return s;
}
ParamSpec ParamSpec::Float(std::string id, std::string label, double init, double lo, double hi, std::string help) {
  auto s = make(std::move(id), std::move(label), ParamType::kFloat, init, std::move(help));
  s.min = lo;
  s.max = hi;
  return s;
}
ParamSpec ParamSpec::Choice(std::string id, std::string label, std::string init, std::vector<std::string> choices,
                            std::string help) {
  auto s = make(std::move(id), std::move(label), ParamType::kChoice, std::move(init), std::move(help));
  s.choices = std::move(choices);
  return s;
}
ParamSpec ParamSpec::Text(std::string id, std::string label, std::string init, std::string help) {
  return make(std::move(id), std::move(label), ParamType::kText, std::move(init), std::move(help));
}
ParamSpec ParamSpec::Path(std::string id, std::string label, std::string init, std::string help) {
  return make(std::move(id), std::move(label), ParamType::kPath, std::move(init), std::move(help));
}

const char* paramTypeName(ParamType t) {
  switch (t) {
    case ParamType::kBool: return "bool";
    case ParamType::kInt: return "int";
    case ParamType::kFloat: return "float";
    case ParamType::kChoice: return "choice";
    case ParamType::kText: return "text";
    case ParamType::kPath: return "path";
    case ParamType::kInvalid: break;
  }
  return "invalid";
}

std::string paramValueToString(const ParamValue& v) {
  if (std::holds_alternative<bool>(v)) { return std::get<bool>(v) ? "true" : "false"; }
  if (std::holds_alternative<int64_t>(v)) { return std::to_string(std::get<int64_t>(v)); }
  if (std::holds_alternative<double>(v)) {
    std::ostringstream os;
    os.precision(10);
    os << std::get<double>(v);
    return os.str();
  }
  return std::get<std::string>(v);
}

Status validateParam(const ParamSpec& spec, const ParamValue& v) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("parameter '" + spec.id + "': " + why);
  };
  switch (spec.type) {
    case ParamType::kBool:
      if (!std::holds_alternative<bool>(v)) { return bad("expected a bool"); }
      return Status::Ok();
    case ParamType::kInt: {
      if (!std::holds_alternative<int64_t>(v)) { return bad("expected an integer"); }
      int64_t x = std::get<int64_t>(v);
      if (x < std::get<int64_t>(spec.min) || x > std::get<int64_t>(spec.max)) {
        return bad(std::to_string(x) + " outside [" + paramValueToString(spec.min) + ", " +
                   paramValueToString(spec.max) + "]");
      }
      return Status::Ok();
    }
    case ParamType::kFloat: {
      if (!isNumber(v)) { return bad("expected a number"); }
      double x = asDouble(v);
      if (!std::isfinite(x) || x < asDouble(spec.min) || x > asDouble(spec.max)) {
        return bad(paramValueToString(v) + " outside [" + paramValueToString(spec.min) + ", " +
                   paramValueToString(spec.max) + "]");
      }
      return Status::Ok();
    }
    case ParamType::kChoice: {
      if (!std::holds_alternative<std::string>(v)) { return bad("expected one of the choices"); }
      const auto& s = std::get<std::string>(v);
      if (std::find(spec.choices.begin(), spec.choices.end(), s) == spec.choices.end()) {
        std::string all;
        for (const auto& c : spec.choices) { all += (all.empty() ? "" : "|") + c; }
        return bad("'" + s + "' is not one of " + all);
      }
      return Status::Ok();
    }
    case ParamType::kText:
    case ParamType::kPath:
      if (!std::holds_alternative<std::string>(v)) { return bad("expected a string"); }
      return Status::Ok();
    case ParamType::kInvalid: break;
  }
  return bad("spec has no type");
}

Result<ParamValue> parseParamValue(const ParamSpec& spec, const std::string& text) {
  ParamValue v;
  switch (spec.type) {
    case ParamType::kBool:
      if (text == "1" || text == "true" || text == "on" || text == "yes") { v = true; }
      else if (text == "0" || text == "false" || text == "off" || text == "no") { v = false; }
      else { return Status::InvalidArgument("parameter '" + spec.id + "': '" + text + "' is not a bool"); }
      break;
    case ParamType::kInt: {
      char* end = nullptr;
      errno = 0;
      long long x = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || errno != 0) {
        return Status::InvalidArgument("parameter '" + spec.id + "': '" + text + "' is not an integer");
      }
      v = static_cast<int64_t>(x);
      break;
    }
    case ParamType::kFloat: {
      char* end = nullptr;
      double x = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0') {
        return Status::InvalidArgument("parameter '" + spec.id + "': '" + text + "' is not a number");
      }
      v = x;
      break;
    }
    default: v = text;
  }
  ATELIER_RETURN_IF_ERROR(validateParam(spec, v));
  return v;
}

Result<ParamSet> resolveParams(const std::vector<ParamSpec>& specs, const ParamSet& values) {
  ParamSet out;
  for (const auto& s : specs) { out[s.id] = s.init; }
  for (const auto& [id, v] : values) {
    auto it = std::find_if(specs.begin(), specs.end(), [&](const ParamSpec& s) { return s.id == id; });
    if (it == specs.end()) { return Status::InvalidArgument("unknown parameter '" + id + "'"); }
    ParamValue val = v;
    if (it->type == ParamType::kFloat && std::holds_alternative<int64_t>(v)) {
      val = static_cast<double>(std::get<int64_t>(v));
    }
    ATELIER_RETURN_IF_ERROR(validateParam(*it, val));
    out[id] = val;
  }
  return out;
}

bool getBool(const ParamSet& p, const std::string& id, bool fallback) {
  auto it = p.find(id);
  return (it != p.end() && std::holds_alternative<bool>(it->second)) ? std::get<bool>(it->second) : fallback;
}
int64_t getInt(const ParamSet& p, const std::string& id, int64_t fallback) {
  auto it = p.find(id);
  return (it != p.end() && std::holds_alternative<int64_t>(it->second)) ? std::get<int64_t>(it->second) : fallback;
}
double getFloat(const ParamSet& p, const std::string& id, double fallback) {
  auto it = p.find(id);
  return (it != p.end() && isNumber(it->second)) ? asDouble(it->second) : fallback;
}
std::string getString(const ParamSet& p, const std::string& id, const std::string& fallback) {
  auto it = p.find(id);
  return (it != p.end() && std::holds_alternative<std::string>(it->second)) ? std::get<std::string>(it->second)
                                                                             : fallback;
}

}  // namespace atelier
