// LatencyDock: percentile table + live chart + export.
#include "panels/latency_dock.h"

#include <QChart>
#include <QChartView>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLineSeries>
#include <QPushButton>
#include <QSaveFile>
#include <QSplitter>
#include <QTableWidget>
#include <QValueAxis>
#include <QVBoxLayout>

namespace atelier::panels {

LatencyDock::LatencyDock(QWidget* parent) : QWidget(parent) {
  auto* lay = new QVBoxLayout(this);
  auto* split = new QSplitter(Qt::Horizontal);
  table_ = new QTableWidget(0, 6);
  table_->setObjectName("latency_table");
  table_->setHorizontalHeaderLabels({tr("zone"), tr("count"), tr("last ms"), tr("p50 ms"), tr("p95 ms"), tr("p99 ms")});
  table_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
  table_->verticalHeader()->setVisible(false);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  split->addWidget(table_);

  chart_ = new QChart;
  chart_->setTheme(QChart::ChartThemeDark);
  chart_->legend()->setAlignment(Qt::AlignBottom);
  x_axis_ = new QValueAxis;
  x_axis_->setTitleText(tr("time (s)"));
  y_axis_ = new QValueAxis;
  y_axis_->setTitleText(tr("ms"));
  y_axis_->setRange(0, 1);
  chart_->addAxis(x_axis_, Qt::AlignBottom);
  chart_->addAxis(y_axis_, Qt::AlignLeft);
  auto* view = new QChartView(chart_);
  view->setRenderHint(QPainter::Antialiasing);
  view->setMinimumSize(320, 140);
  split->addWidget(view);
  split->setStretchFactor(0, 1);
  split->setStretchFactor(1, 1);
  split->setSizes({1100, 1000});   // also at first layout (stretch factors only share later resizes)
  lay->addWidget(split, 1);

  auto* row = new QHBoxLayout;
  auto* exp = new QPushButton(tr("Export JSON/CSV…"));
  exp->setObjectName("export");
  row->addStretch(1);
  row->addWidget(exp);
  lay->addLayout(row);
  connect(exp, &QPushButton::clicked, this, &LatencyDock::exportDialog);
}

void LatencyDock::updateReport(const ProfileReport& report, double t_s) {
  last_ = report;
  table_->setRowCount(static_cast<int>(report.zones.size()));
  int r = 0;
  for (const auto& z : report.zones) {
    const QStringList cells = {QString::fromStdString(z.name), QString::number(z.count),
                               QString::number(z.last_ms, 'f', 2), QString::number(z.p50_ms, 'f', 2),
                               QString::number(z.p95_ms, 'f', 2), QString::number(z.p99_ms, 'f', 2)};
    for (int c = 0; c < cells.size(); ++c) {
      auto* item = table_->item(r, c);
      if (!item) {
        item = new QTableWidgetItem;
        table_->setItem(r, c, item);
      }
      item->setText(cells[c]);
    }
    ++r;
    if (seen_count_[z.name] == z.count) { continue; }
    seen_count_[z.name] = z.count;
    auto it = series_.find(z.name);
    if (it == series_.end()) {
      if (static_cast<int>(series_.size()) >= kMaxSeries) { continue; }
      auto* s = new QLineSeries;
      s->setName(QString::fromStdString(z.name));
      chart_->addSeries(s);
      s->attachAxis(x_axis_);
      s->attachAxis(y_axis_);
      it = series_.emplace(z.name, s).first;
    }
    QLineSeries* s = it->second;
    s->append(t_s, z.last_ms);
    if (s->count() > kMaxPoints) { s->removePoints(0, s->count() - kMaxPoints); }
    y_max_ = std::max(y_max_, z.last_ms * 1.1);
  }
  double x0 = t_s, x1 = t_s;
  for (const auto& [name, s] : series_) {
    if (s->count() > 0) { x0 = std::min(x0, s->at(0).x()); }
  }
  x_axis_->setRange(x0, std::max(x1, x0 + 1.0));
  y_axis_->setRange(0, y_max_);
}

int LatencyDock::pointCount(const std::string& zone) const {
  auto it = series_.find(zone);
  return it == series_.end() ? 0 : it->second->count();
}

QString LatencyDock::exportTo(const QString& path) const {
  const bool csv = path.endsWith(".csv", Qt::CaseInsensitive);
  const std::string text = csv ? last_.toCsv() : last_.toJson();
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly)) { return tr("cannot write %1: %2").arg(path, f.errorString()); }
  f.write(text.data(), static_cast<qint64>(text.size()));
  if (!f.commit()) { return tr("cannot write %1: %2").arg(path, f.errorString()); }
  return QString();
}

void LatencyDock::exportDialog() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Export latency"), "latency.json",
                                                    tr("JSON (*.json);;CSV (*.csv)"));
  if (path.isEmpty()) { return; }
  const QString err = exportTo(path);
  if (!err.isEmpty()) { setToolTip(err); }
}

}  // namespace atelier::panels
