// Session: what a user had open — sources, stage, parameters per stage, window layout, view settings — saved as
// JSON atomically (QSaveFile: temp file + rename). Relative source paths resolve against the session's folder.
// Thread-safety: plain values; functions touch only the given file.
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <map>
#include <string>

#include "atelier/param.h"

namespace atelier::panels {

struct ViewSettings {
  QString mode = "fit";         // "fit" | "1:1" | "zoom"
  double zoom = 1.0;            // used when mode == "zoom"
  double split = -1.0;          // before/after split position in [0,1]; < 0: off
  QString channel = "rgb";      // "rgb" | "r" | "g" | "b" | "luma" | "alpha"
  bool hud = true;
};

struct Session {
  static constexpr int kVersion = 1;
  QStringList sources;                          // image files (absolute after load)
  QString stage;                                // stage id
  QStringList stage_fallbacks;                  // id prefixes tried when `stage` is not registered ("sr.")
  std::map<std::string, ParamSet> params;       // stage id -> values
  QByteArray window_geometry, window_state;     // QMainWindow::saveGeometry/saveState (base64 in JSON)
  ViewSettings view;
};

QJsonObject sessionToJson(const Session& s);
// Fails (returns false, *error says why) on a wrong version or malformed fields.
bool sessionFromJson(const QJsonObject& obj, Session* out, QString* error);
// Atomic write (temp + rename); sources are stored relative to the session file's folder when inside it.
bool saveSession(const QString& path, const Session& s, QString* error);
// Reads and validates; relative sources are made absolute against the file's folder.
bool loadSession(const QString& path, Session* out, QString* error);
// First registered id: `stage` itself, else the first id starting with a fallback prefix; "" when none.
QString chooseStage(const Session& s, const QStringList& registered_ids);

}  // namespace atelier::panels
