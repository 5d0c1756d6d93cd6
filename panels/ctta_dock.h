// CTTA live panel: running accuracy (when labels exist), entropy and prediction over time, and a corruption
// injector that drives a CTTA stage's "inject" ("fog:3") or "corruption"/"severity" parameters when declared.
// Shown disabled when no CTTA stage is registered. Thread-safety: GUI thread only.
#pragma once

#include <QString>
#include <QStringList>
#include <QWidget>

#include <cstdint>
#include <map>
#include <string>

class QChart;
class QComboBox;
class QLabel;
class QLineSeries;
class QSpinBox;
class QValueAxis;

namespace atelier::panels {

QStringList corruptionNames();   // the 15 CIFAR-10-C corruptions in the standard order

class CttaDock : public QWidget {
  Q_OBJECT

 public:
  explicit CttaDock(QWidget* parent = nullptr);
  void setAvailable(bool available, const QString& reason = QString());   // false: whole panel disabled
  bool isAvailable() const { return available_; }
  void setInjectorSupported(bool supported);                                // stage declares corruption params
  // One processed item's metrics: "accuracy" as is, else the running mean of "correct" (0/1) or of
  // 1 - "error" (the item's error rate); plus "entropy" and "prediction"/"pred" when present.
  void addSample(int64_t index, const std::map<std::string, double>& scalars);
  void clear();
  int sampleCount() const { return samples_; }
  double runningAccuracy() const;                                           // < 0 when unknown

 Q_SIGNALS:
  void injectorChanged(QString corruption, int severity);                   // "none" disables injection

 private:
  QLineSeries* addSeries(const QString& name, QValueAxis* y);
  bool available_ = false;
  int samples_ = 0;
  double correct_sum_ = 0;
  int64_t labelled_ = 0;
  double last_accuracy_ = -1;
  QChart* chart_;
  QValueAxis* x_axis_;
  QValueAxis* y_axis_;
  QValueAxis* pred_axis_;
  QLineSeries* accuracy_;
  QLineSeries* entropy_;
  QLineSeries* prediction_;
  QComboBox* corruption_;
  QSpinBox* severity_;
  QLabel* status_;
};

}  // namespace atelier::panels
