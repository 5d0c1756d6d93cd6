// ParamValue <-> QVariant / QJsonValue.
#include "panels/param_value_qt.h"

#include <cmath>

namespace atelier::panels {

QVariant toVariant(const ParamValue& v) {
  if (const auto* b = std::get_if<bool>(&v)) { return QVariant(*b); }
  if (const auto* i = std::get_if<int64_t>(&v)) { return QVariant(static_cast<qlonglong>(*i)); }
  if (const auto* d = std::get_if<double>(&v)) { return QVariant(*d); }
  return QVariant(QString::fromStdString(std::get<std::string>(v)));
}

ParamValue fromVariant(const QVariant& v) {
  switch (v.typeId()) {
    case QMetaType::Bool: return v.toBool();
    case QMetaType::Int:
    case QMetaType::LongLong:
    case QMetaType::UInt:
    case QMetaType::ULongLong: return static_cast<int64_t>(v.toLongLong());
    case QMetaType::Double:
    case QMetaType::Float: return v.toDouble();
    default: return v.toString().toStdString();
  }
}

bool coerceToSpec(const ParamSpec& spec, const ParamValue& v, ParamValue* out) {
  const auto* b = std::get_if<bool>(&v);
  const auto* i = std::get_if<int64_t>(&v);
  const auto* d = std::get_if<double>(&v);
  const auto* s = std::get_if<std::string>(&v);
  switch (spec.type) {
    case ParamType::kBool:
      if (b) { *out = *b; return true; }
      if (i) { *out = *i != 0; return true; }
      if (s && (*s == "true" || *s == "false")) { *out = (*s == "true"); return true; }
      return false;
    case ParamType::kInt:
      if (i) { *out = *i; return true; }
      if (d && std::isfinite(*d) && std::floor(*d) == *d) { *out = static_cast<int64_t>(*d); return true; }
      return false;
    case ParamType::kFloat:
      if (d) { *out = *d; return true; }
      if (i) { *out = static_cast<double>(*i); return true; }
      return false;
    case ParamType::kChoice:
    case ParamType::kText:
    case ParamType::kPath:
      if (s) { *out = *s; return true; }
      return false;
    default: return false;
  }
}

QJsonValue toJson(const ParamValue& v) {
  if (const auto* b = std::get_if<bool>(&v)) { return QJsonValue(*b); }
  if (const auto* i = std::get_if<int64_t>(&v)) { return QJsonValue(static_cast<qint64>(*i)); }
  if (const auto* d = std::get_if<double>(&v)) { return QJsonValue(*d); }
  return QJsonValue(QString::fromStdString(std::get<std::string>(v)));
}

ParamValue fromJson(const QJsonValue& v) {
  if (v.isBool()) { return v.toBool(); }
  if (v.isDouble()) {
    const double d = v.toDouble();
    if (std::floor(d) == d && std::fabs(d) < 9.0e15) { return static_cast<int64_t>(d); }
    return d;
  }
  return v.toString().toStdString();
}

QJsonObject paramSetToJson(const ParamSet& set) {
  QJsonObject o;
  for (const auto& [id, v] : set) { o.insert(QString::fromStdString(id), toJson(v)); }
  return o;
}

ParamSet paramSetFromJson(const QJsonObject& obj) {
  ParamSet set;
  for (auto it = obj.begin(); it != obj.end(); ++it) { set[it.key().toStdString()] = fromJson(it.value()); }
  return set;
}

}  // namespace atelier::panels
