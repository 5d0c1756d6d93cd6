// Recent files (images and sessions), most recent first, persisted in QSettings. Thread-safety: GUI thread only.
#pragma once

#include <QString>
#include <QStringList>

namespace atelier::panels {

class RecentFiles {
 public:
  explicit RecentFiles(QString settings_key = "recent_files", int max_entries = 10);
  void add(const QString& path);    // moves to front; drops the oldest beyond max
  QStringList list() const;         // existing and missing files alike (the menu greys missing ones)
  void clear();

 private:
  QString key_;
  int max_;
};

}  // namespace atelier::panels
