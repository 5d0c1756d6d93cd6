// Typed parameters: stages declare ParamSpecs, UIs generate forms from them, values travel as ParamSets.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "atelier/status.h"

namespace atelier {

using ParamValue = std::variant<bool, int64_t, double, std::string>;
using ParamSet = std::map<std::string, ParamValue>;
enum class ParamType { kInvalid = 0, kBool, kInt, kFloat, kChoice, kText, kPath };

struct ParamSpec {
  std::string id, label, help;   // id: stable key ("strength"); label: UI text; help: tooltip
  ParamType type = ParamType::kInvalid;
  ParamValue init;               // default value (type must match `type`)
  ParamValue min, max;           // inclusive range for kInt/kFloat (ignored otherwise)
  std::vector<std::string> choices;  // allowed values for kChoice
  bool advanced = false;         // UI may fold it away

  static ParamSpec Bool(std::string id, std::string label, bool init, std::string help = "");
  static ParamSpec Int(std::string id, std::string label, int64_t init, int64_t lo, int64_t hi, std::string help = "");
  static ParamSpec Float(std::string id, std::string label, double init, double lo, double hi, std::string help = "");
  static ParamSpec Choice(std::string id, std::string label, std::string init, std::vector<std::string> choices,
                          std::string help = "");
  static ParamSpec Text(std::string id, std::string label, std::string init, std::string help = "");
  static ParamSpec Path(std::string id, std::string label, std::string init, std::string help = "");
};

const char* paramTypeName(ParamType t);                                       // "bool", "int", ...
std::string paramValueToString(const ParamValue& v);                          // for logs/metadata
// Parses text into the spec's type (e.g. CLI "--set steps=20"); range/choice checked.
Result<ParamValue> parseParamValue(const ParamSpec& spec, const std::string& text);
// Checks one value against its spec (type, range, choices). Ints are accepted for float specs.
Status validateParam(const ParamSpec& spec, const ParamValue& v);
// Returns defaults overlaid with `values`; fails on unknown ids or invalid values (names the id).
Result<ParamSet> resolveParams(const std::vector<ParamSpec>& specs, const ParamSet& values);

// Typed getters with a fallback when missing; a float spec may hold an int64.
bool getBool(const ParamSet& p, const std::string& id, bool fallback);
int64_t getInt(const ParamSet& p, const std::string& id, int64_t fallback);
double getFloat(const ParamSet& p, const std::string& id, double fallback);
std::string getString(const ParamSet& p, const std::string& id, const std::string& fallback);

}  // namespace atelier
