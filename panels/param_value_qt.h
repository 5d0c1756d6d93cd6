// Conversions between core ParamValue and Qt value types (QVariant for widgets/undo, QJsonValue for sessions).
// Thread-safety: pure functions.
#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QVariant>

#include "atelier/param.h"

namespace atelier::panels {

QVariant toVariant(const ParamValue& v);                      // bool/qlonglong/double/QString
ParamValue fromVariant(const QVariant& v);                    // inverse; unknown types become strings
// Coerces `v` to the spec's type (int<->float, numeric strings); returns false when impossible.
bool coerceToSpec(const ParamSpec& spec, const ParamValue& v, ParamValue* out);
QJsonValue toJson(const ParamValue& v);                       // numbers as JSON numbers
ParamValue fromJson(const QJsonValue& v);                     // integral numbers -> int64, others -> double
QJsonObject paramSetToJson(const ParamSet& set);              // {"id": value}
ParamSet paramSetFromJson(const QJsonObject& obj);            // inverse (types as fromJson)

}  // namespace atelier::panels
