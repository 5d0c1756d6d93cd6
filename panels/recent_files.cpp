// RecentFiles: a bounded MRU list in QSettings.
#include "panels/recent_files.h"

#include <QFileInfo>
#include <QSettings>

namespace atelier::panels {

RecentFiles::RecentFiles(QString settings_key, int max_entries) : key_(std::move(settings_key)), max_(max_entries) {}

void RecentFiles::add(const QString& path) {
  const QString abs = QFileInfo(path).absoluteFilePath();
  QStringList l = list();
  l.removeAll(abs);
  l.prepend(abs);
  while (l.size() > max_) { l.removeLast(); }
  QSettings().setValue(key_, l);
}

QStringList RecentFiles::list() const { return QSettings().value(key_).toStringList(); }

void RecentFiles::clear() { QSettings().remove(key_); }

}  // namespace atelier::panels
