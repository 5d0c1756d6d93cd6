// PipelineDock: stage chooser, run/cancel, job queue, progress.
#include "panels/pipeline_dock.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
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
  progress_ = new QProgressBar;
  progress_->setObjectName("progress");
  progress_->setRange(0, 1);
  progress_->setValue(0);
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
  // No indeterminate (0,0) range: its busy animation repaints at ~60 Hz for the whole job; "running" instead.
  if (busy && step_total > 0) {
    progress_->setRange(0, static_cast<int>(step_total));
    progress_->setValue(static_cast<int>(std::min(step_done, step_total)));
    progress_->setFormat("%v/%m");
  } else {
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setFormat(busy ? tr("running") : QString("%p%"));
  }
  status_->setText(busy ? tr("running — %1 queued").arg(queued) : tr("idle — %1 queued").arg(queued));
}

}  // namespace atelier::panels
