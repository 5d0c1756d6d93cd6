// Latency panel: per-zone p50/p95/p99 table and a live Qt Charts plot of each zone's latest latency, fed with
// ProfileReport copies (Tracy data/view split); export JSON/CSV. Thread-safety: GUI thread only.
#pragma once

#include <QString>
#include <QWidget>

#include <map>
#include <string>

#include "atelier/profiler.h"

class QTableWidget;
class QLabel;
class QChart;
class QLineSeries;
class QValueAxis;

namespace atelier::panels {

class LatencyDock : public QWidget {
  Q_OBJECT

 public:
  explicit LatencyDock(QWidget* parent = nullptr);
  // Refreshes the table; appends a plot point for every zone whose sample count grew. `t_s`: plot time.
  void updateReport(const ProfileReport& report, double t_s);
  const ProfileReport& lastReport() const { return last_; }
  // Writes the last report: ".csv" -> ProfileReport::toCsv, anything else -> toJson. Returns "" or an error.
  QString exportTo(const QString& path) const;
  QTableWidget* table() const { return table_; }
  int seriesCount() const { return static_cast<int>(series_.size()); }
  int pointCount(const std::string& zone) const;   // plotted points of one zone (0 when absent)

  static constexpr int kMaxSeries = 8;             // most recently active zones plotted
  static constexpr int kMaxPoints = 300;           // per series

 private:
  void exportDialog();
  QTableWidget* table_;
  QChart* chart_;
  QValueAxis* x_axis_;
  QValueAxis* y_axis_;
  std::map<std::string, QLineSeries*> series_;
  std::map<std::string, int64_t> seen_count_;
  ProfileReport last_;
  double y_max_ = 1.0;
};

}  // namespace atelier::panels
