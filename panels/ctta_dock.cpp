// CttaDock: live CTTA metrics and corruption injector.
#include "panels/ctta_dock.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineSeries>
#include <QSpinBox>
#include <QValueAxis>
#include <QVBoxLayout>

namespace atelier::panels {

QStringList corruptionNames() {
  return {"gaussian_noise", "shot_noise", "impulse_noise", "defocus_blur", "glass_blur",
          "motion_blur", "zoom_blur", "snow", "frost", "fog",
          "brightness", "contrast", "elastic_transform", "pixelate", "jpeg_compression"};
}

CttaDock::CttaDock(QWidget* parent) : QWidget(parent) {
  auto* lay = new QVBoxLayout(this);
  status_ = new QLabel;
  status_->setObjectName("status");
  status_->setWordWrap(true);
  lay->addWidget(status_);

  chart_ = new QChart;
  chart_->setTheme(QChart::ChartThemeDark);
  x_axis_ = new QValueAxis;
  x_axis_->setTitleText(tr("item"));
  x_axis_->setRange(0, 10);
  y_axis_ = new QValueAxis;
  y_axis_->setRange(0, 1);
  y_axis_->setTitleText(tr("accuracy / entropy"));
  pred_axis_ = new QValueAxis;
  pred_axis_->setRange(0, 10);
  pred_axis_->setTitleText(tr("class"));
  chart_->addAxis(x_axis_, Qt::AlignBottom);
  chart_->addAxis(y_axis_, Qt::AlignLeft);
  chart_->addAxis(pred_axis_, Qt::AlignRight);
  accuracy_ = addSeries(tr("accuracy"), y_axis_);
  entropy_ = addSeries(tr("entropy"), y_axis_);
  prediction_ = addSeries(tr("prediction"), pred_axis_);
  auto* view = new QChartView(chart_);
  view->setMinimumHeight(140);
  lay->addWidget(view, 1);

  auto* row = new QHBoxLayout;
  corruption_ = new QComboBox;
  corruption_->setObjectName("corruption");
  corruption_->addItem("none");
  corruption_->addItems(corruptionNames());
  severity_ = new QSpinBox;
  severity_->setObjectName("severity");
  severity_->setRange(1, 5);
  severity_->setValue(5);
  row->addWidget(new QLabel(tr("Inject corruption")));
  row->addWidget(corruption_, 1);
  row->addWidget(new QLabel(tr("severity")));
  row->addWidget(severity_);
  lay->addLayout(row);
  auto emitInjector = [this] { Q_EMIT injectorChanged(corruption_->currentText(), severity_->value()); };
  connect(corruption_, qOverload<int>(&QComboBox::currentIndexChanged), this, emitInjector);
  connect(severity_, qOverload<int>(&QSpinBox::valueChanged), this, emitInjector);
  setAvailable(false, tr("No CTTA stage is registered in this build."));
}

QLineSeries* CttaDock::addSeries(const QString& name, QValueAxis* y) {
  auto* s = new QLineSeries;
  s->setName(name);
  chart_->addSeries(s);
  s->attachAxis(x_axis_);
  s->attachAxis(y);
  return s;
}

void CttaDock::setAvailable(bool available, const QString& reason) {
  available_ = available;
  setEnabled(available);
  status_->setText(available ? tr("CTTA stage ready; metrics appear as items are processed.") : reason);
}

void CttaDock::setInjectorSupported(bool supported) {
  corruption_->setEnabled(supported);
  severity_->setEnabled(supported);
  corruption_->setToolTip(supported ? QString() : tr("The selected stage has no corruption parameters."));
}

void CttaDock::addSample(int64_t index, const std::map<std::string, double>& scalars) {
  const double x = index >= 0 ? static_cast<double>(index) : samples_;
  ++samples_;
  double acc = -1;
  if (auto it = scalars.find("accuracy"); it != scalars.end()) {
    acc = it->second;
  } else if (auto c = scalars.find("correct"); c != scalars.end()) {
    correct_sum_ += c->second;
    acc = correct_sum_ / static_cast<double>(++labelled_);
  } else if (auto e = scalars.find("error"); e != scalars.end()) {   // error rate of this item's batch
    correct_sum_ += 1.0 - e->second;
    acc = correct_sum_ / static_cast<double>(++labelled_);
  }
  if (acc >= 0) {
    last_accuracy_ = acc;
    accuracy_->append(x, acc);
  }
  if (auto it = scalars.find("entropy"); it != scalars.end()) {
    entropy_->append(x, it->second);
    y_axis_->setMax(std::max(y_axis_->max(), it->second * 1.1));
  }
  auto it_pred = scalars.find("prediction");
  if (it_pred == scalars.end()) { it_pred = scalars.find("pred"); }
  if (auto it = it_pred; it != scalars.end()) {
    prediction_->append(x, it->second);
    pred_axis_->setMax(std::max(pred_axis_->max(), it->second + 1));
  }
  for (QLineSeries* s : {accuracy_, entropy_, prediction_}) {
    if (s->count() > 500) { s->removePoints(0, s->count() - 500); }
  }
  x_axis_->setMax(std::max(x_axis_->max(), x + 1));
}

void CttaDock::clear() {
  for (QLineSeries* s : {accuracy_, entropy_, prediction_}) { s->clear(); }
  samples_ = 0;
  correct_sum_ = 0;
  labelled_ = 0;
  last_accuracy_ = -1;
}

double CttaDock::runningAccuracy() const { return last_accuracy_; }

}  // namespace atelier::panels
