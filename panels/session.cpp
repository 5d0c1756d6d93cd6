// Session JSON (de)serialisation with atomic save.
#include "panels/session.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>

#include "panels/param_value_qt.h"

namespace atelier::panels {

QJsonObject sessionToJson(const Session& s) {
  QJsonObject o;
  o["version"] = Session::kVersion;
  o["sources"] = QJsonArray::fromStringList(s.sources);
  o["stage"] = s.stage;
  o["stage_fallbacks"] = QJsonArray::fromStringList(s.stage_fallbacks);
  QJsonObject params;
  for (const auto& [stage, set] : s.params) { params[QString::fromStdString(stage)] = paramSetToJson(set); }
  o["params"] = params;
  QJsonObject layout;
  layout["geometry"] = QString::fromLatin1(s.window_geometry.toBase64());
  layout["state"] = QString::fromLatin1(s.window_state.toBase64());
  o["layout"] = layout;
  QJsonObject view;
  view["mode"] = s.view.mode;
  view["zoom"] = s.view.zoom;
  view["split"] = s.view.split;
  view["channel"] = s.view.channel;
  view["hud"] = s.view.hud;
  o["view"] = view;
  return o;
}

namespace {
bool stringList(const QJsonValue& v, QStringList* out) {
  if (v.isUndefined()) { return true; }
  if (!v.isArray()) { return false; }
  for (const auto& e : v.toArray()) {
    if (!e.isString()) { return false; }
    out->push_back(e.toString());
  }
  return true;
}
}  // namespace

bool sessionFromJson(const QJsonObject& o, Session* out, QString* error) {
  Session s;
  const int version = o.value("version").toInt(0);
  if (version != Session::kVersion) {
    *error = QObject::tr("unsupported session version %1 (expected %2)").arg(version).arg(Session::kVersion);
    return false;
  }
  if (!stringList(o.value("sources"), &s.sources)) { *error = QObject::tr("'sources' must be a list of paths"); return false; }
  if (!stringList(o.value("stage_fallbacks"), &s.stage_fallbacks)) {
    *error = QObject::tr("'stage_fallbacks' must be a list of strings");
    return false;
  }
  s.stage = o.value("stage").toString();
  const QJsonValue params = o.value("params");
  if (!params.isUndefined() && !params.isObject()) { *error = QObject::tr("'params' must be an object"); return false; }
  const QJsonObject pobj = params.toObject();
  for (auto it = pobj.begin(); it != pobj.end(); ++it) {
    if (!it.value().isObject()) { *error = QObject::tr("params of '%1' must be an object").arg(it.key()); return false; }
    s.params[it.key().toStdString()] = paramSetFromJson(it.value().toObject());
  }
  const QJsonObject layout = o.value("layout").toObject();
  s.window_geometry = QByteArray::fromBase64(layout.value("geometry").toString().toLatin1());
  s.window_state = QByteArray::fromBase64(layout.value("state").toString().toLatin1());
  const QJsonObject view = o.value("view").toObject();
  s.view.mode = view.value("mode").toString(s.view.mode);
  s.view.zoom = view.value("zoom").toDouble(s.view.zoom);
  s.view.split = view.value("split").toDouble(s.view.split);
  s.view.channel = view.value("channel").toString(s.view.channel);
  s.view.hud = view.value("hud").toBool(s.view.hud);
  *out = std::move(s);
  return true;
}

bool saveSession(const QString& path, const Session& s, QString* error) {
  Session rel = s;
  const QDir dir = QFileInfo(path).absoluteDir();
  for (QString& src : rel.sources) {
    const QString r = dir.relativeFilePath(src);
    if (!r.startsWith("..") && QFileInfo(src).isAbsolute()) { src = r; }
  }
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly)) {
    *error = QObject::tr("cannot write session %1: %2").arg(path, f.errorString());
    return false;
  }
  f.write(QJsonDocument(sessionToJson(rel)).toJson(QJsonDocument::Indented));
  if (!f.commit()) {
    *error = QObject::tr("cannot write session %1: %2").arg(path, f.errorString());
    return false;
  }
  return true;
}

bool loadSession(const QString& path, Session* out, QString* error) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) {
    *error = QObject::tr("cannot open session %1: %2").arg(path, f.errorString());
    return false;
  }
  QJsonParseError perr;
  const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &perr);
  if (perr.error != QJsonParseError::NoError || !doc.isObject()) {
    *error = QObject::tr("session %1 is not a JSON object: %2 at offset %3").arg(path, perr.errorString()).arg(perr.offset);
    return false;
  }
  QString why;
  if (!sessionFromJson(doc.object(), out, &why)) {
    *error = QObject::tr("session %1: %2").arg(path, why);
    return false;
  }
  const QDir dir = QFileInfo(path).absoluteDir();
  for (QString& src : out->sources) { src = QDir::cleanPath(dir.absoluteFilePath(src)); }
  return true;
}

QString chooseStage(const Session& s, const QStringList& registered_ids) {
  if (!s.stage.isEmpty() && registered_ids.contains(s.stage)) { return s.stage; }
  for (const QString& prefix : s.stage_fallbacks) {
    for (const QString& id : registered_ids) {
      if (id.startsWith(prefix)) { return id; }
    }
  }
  return QString();
}

}  // namespace atelier::panels
