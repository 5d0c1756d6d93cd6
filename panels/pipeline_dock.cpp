// PipelineDock: stage chooser, run/cancel, job queue, progress.
#include "panels/pipeline_dock.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QPushButton>
#include <QStyleOptionProgressBar>
#include <QVBoxLayout>

#include <algorithm>

namespace atelier::panels {

const char* jobStateName(JobState s) {
  switch (s) {
    case JobState::kQueued: return "queued";
    case JobState::kRunning: return "running";
    case JobState::kDone: return "done";
    case JobState::kFailed: return "failed";
    case JobState::kCancelled: return "cancelled";
    default: return "invalid";
  }
}

// Draws like a QProgressBar, but a new value only schedules a repaint: QProgressBar::setValue repaint()s at
// once, and with the GL viewport in the window each repaint recomposes the whole window on the GUI thread
// (30-40 ms under llvmpipe; bench/results/gui_stall_cpu.md).
class ProgressStrip : public QWidget {
 public:
  void setState(int maximum, int value, const QString& text) {
    if (maximum == max_ && value == value_ && text == text_) { return; }
    max_ = maximum;
    value_ = value;
    text_ = text;
    update();
  }
  QSize sizeHint() const override {
    QStyleOptionProgressBar opt;
    initOption(&opt);
    const QFontMetrics fm = fontMetrics();
    return style()->sizeFromContents(QStyle::CT_ProgressBar, &opt,
                                     QSize(fm.horizontalAdvance(QLatin1Char('0')) * 7 + 12, fm.height() + 8), this);
  }

 protected:
  void paintEvent(QPaintEvent*) override {
    QPainter p(this);
    QStyleOptionProgressBar opt;
    initOption(&opt);
    style()->drawControl(QStyle::CE_ProgressBar, &opt, &p, this);
  }

 private:
  void initOption(QStyleOptionProgressBar* opt) const {
    opt->initFrom(this);
    opt->minimum = 0;
    opt->maximum = max_;
    opt->progress = value_;
    opt->text = text_;
    opt->textVisible = true;
    opt->textAlignment = Qt::AlignCenter;
    opt->state |= QStyle::State_Horizontal;
  }
  int max_ = 1, value_ = 0;
  QString text_ = QStringLiteral("0%");
};

PipelineDock::PipelineDock(QWidget* parent) : QWidget(parent) {
  auto* lay = new QVBoxLayout(this);
  stages_ = new QComboBox;
  stages_->setObjectName("stages");
  lay->addWidget(new QLabel(tr("Stage")));
  lay->addWidget(stages_);
  auto* buttons = new QHBoxLayout;
  run_ = new QPushButton(tr("Run"));
  run_->setObjectName("run");
  cancel_ = new QPushButton(tr("Cancel"));
  cancel_->setObjectName("cancel");
  buttons->addWidget(run_);
  buttons->addWidget(cancel_);
  lay->addLayout(buttons);
  progress_ = new ProgressStrip;
  progress_->setObjectName("progress");
  progress_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
  lay->addWidget(progress_);
  status_ = new QLabel(tr("idle"));
  status_->setObjectName("status");
  lay->addWidget(status_);
  lay->addWidget(new QLabel(tr("Jobs")));
  jobs_ = new QListWidget;
  jobs_->setObjectName("jobs");
  lay->addWidget(jobs_, 1);

  connect(run_, &QPushButton::clicked, this, &PipelineDock::runRequested);
  connect(cancel_, &QPushButton::clicked, this, &PipelineDock::cancelRequested);
  connect(stages_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [this](int) { Q_EMIT stageSelected(currentStage()); });
}

void PipelineDock::setStages(const std::vector<std::pair<std::string, std::string>>& id_label) {
  const QSignalBlocker block(stages_);
  stages_->clear();
  for (const auto& [id, label] : id_label) {
    const QString text = label.empty() || label == id ? QString::fromStdString(id)
                                                      : QString::fromStdString(label + "  (" + id + ")");
    stages_->addItem(text, QString::fromStdString(id));
  }
  stages_->setCurrentIndex(-1);
  run_->setEnabled(false);
  if (id_label.empty()) { status_->setText(tr("no stages registered")); }
}

bool PipelineDock::setCurrentStage(const QString& id) {
  const int i = stages_->findData(id);
  if (i < 0) { return false; }
  run_->setEnabled(true);
  if (i != stages_->currentIndex()) { stages_->setCurrentIndex(i); }   // emits stageSelected
  return true;
}

QString PipelineDock::currentStage() const {
  return stages_->currentIndex() < 0 ? QString() : stages_->currentData().toString();
}

QListWidgetItem* PipelineDock::findJob(int64_t index) const {
  for (int r = 0; r < jobs_->count(); ++r) {
    if (jobs_->item(r)->data(Qt::UserRole).toLongLong() == index) { return jobs_->item(r); }
  }
  return nullptr;
}

void PipelineDock::addJob(int64_t index, const QString& name) {
  auto* item = new QListWidgetItem;
  item->setData(Qt::UserRole, static_cast<qlonglong>(index));
  item->setData(Qt::UserRole + 1, name);
  jobs_->insertItem(0, item);   // newest first
  setJobState(index, JobState::kQueued);
  while (jobs_->count() > 200) { delete jobs_->takeItem(jobs_->count() - 1); }
}

void PipelineDock::setJobState(int64_t index, JobState s, const QString& detail) {
  QListWidgetItem* item = findJob(index);
  if (!item) { return; }
  item->setData(Qt::UserRole + 2, static_cast<int>(s));
  QString text = QString("#%1  %2  — %3").arg(index).arg(item->data(Qt::UserRole + 1).toString(), jobStateName(s));
  if (!detail.isEmpty()) { text += ": " + detail; }
  item->setText(text);
  item->setToolTip(detail);
}

JobState PipelineDock::jobState(int64_t index) const {
  QListWidgetItem* item = findJob(index);
  return item ? static_cast<JobState>(item->data(Qt::UserRole + 2).toInt()) : JobState::kInvalid;
}

int PipelineDock::jobCount() const { return jobs_->count(); }

void PipelineDock::setProgress(int64_t step_done, int64_t step_total, bool busy, int64_t queued) {
  // No indeterminate (0,0) range: its animation repaints at ~60 Hz, and with the GL viewport in the window
  // every repaint recomposes the whole window on the GUI thread (bench/results/gui_stall_cpu.md).
  if (busy && step_total > 0) {
    const int64_t done = std::min(step_done, step_total);
    progress_->setState(static_cast<int>(step_total), static_cast<int>(done), QString("%1/%2").arg(done).arg(step_total));
  } else {
    progress_->setState(1, 0, busy ? tr("running") : QString("0%"));
  }
  status_->setText(busy ? tr("running — %1 queued").arg(queued) : tr("idle — %1 queued").arg(queued));
}

}  // namespace atelier::panels
