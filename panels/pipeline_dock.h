// Pipeline panel: choose a registered stage, run/cancel, the job queue and progress of the current item.
// Knows nothing about the runner: the main window connects its signals. Thread-safety: GUI thread only.
#pragma once

#include <QString>
#include <QWidget>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

class QComboBox;
class QLabel;
class QListWidget;
class QListWidgetItem;
class QProgressBar;
class QPushButton;

namespace atelier::panels {

enum class JobState { kInvalid = 0, kQueued, kRunning, kDone, kFailed, kCancelled };
const char* jobStateName(JobState s);   // "queued", "running", ...

class PipelineDock : public QWidget {
  Q_OBJECT

 public:
  explicit PipelineDock(QWidget* parent = nullptr);
  void setStages(const std::vector<std::pair<std::string, std::string>>& id_label);   // (id, label)
  bool setCurrentStage(const QString& id);     // false when not listed; emits stageSelected on change
  QString currentStage() const;                // "" when none
  void addJob(int64_t index, const QString& name);
  void setJobState(int64_t index, JobState s, const QString& detail = QString());
  JobState jobState(int64_t index) const;      // kInvalid when unknown
  int jobCount() const;
  void setProgress(int64_t step_done, int64_t step_total, bool busy, int64_t queued);
  QPushButton* runButton() const { return run_; }
  QPushButton* cancelButton() const { return cancel_; }

 Q_SIGNALS:
  void stageSelected(QString id);
  void runRequested();
  void cancelRequested();

 private:
  QListWidgetItem* findJob(int64_t index) const;
  QComboBox* stages_;
  QPushButton* run_;
  QPushButton* cancel_;
  QProgressBar* progress_;
  QLabel* status_;
  QListWidget* jobs_;
};

}  // namespace atelier::panels
