// MainWindow: stage selection, parameters -> runner, jobs, results, errors, the 30 Hz poll.
#include <QFileInfo>
#include <QMessageBox>
#include <QStatusBar>
#include <QUndoStack>

#include <algorithm>

#include "main_window.h"
#include "panels/ctta_dock.h"
#include "panels/latency_dock.h"
#include "panels/param_form.h"
#include "panels/pipeline_dock.h"
#include "panels/quant_cache_dock.h"
#include "viewport/gl_viewport.h"

namespace atelier::gui {

bool MainWindow::selectStage(const QString& id) {
  if (!pipeline_->setCurrentStage(id)) {
    showError(tr("Stage '%1' is not registered in this build.").arg(id));
    return false;
  }
  if (bridge_->currentStage() != id.toStdString()) { onStageSelected(id); }
  return true;
}

QString MainWindow::currentStage() const { return QString::fromStdString(bridge_->currentStage()); }

void MainWindow::onStageSelected(const QString& id) {
  if (id.isEmpty() || bridge_->currentStage() == id.toStdString()) { return; }
  QString err;
  if (!bridge_->selectStage(id.toStdString(), &err)) {
    showError(err);
    return;
  }
  std::vector<ParamSpec> general, quant;
  panels::splitSpecs(RunnerBridge::stageParams(id.toStdString()), &general, &quant);
  const ParamSet saved = stage_params_[id.toStdString()];   // copy: setSpecs triggers onParamsChanged
  {
    const QSignalBlocker b1(params_), b2(quant_->form());
    params_->setSpecs(general);
    quant_->setSpecs(quant);
    params_->setValues(saved);
    quant_->form()->setValues(saved);
  }
  undo_->clear();   // commands refer to the previous stage's form contents
  const bool injector =
      params_->editorFor("inject") || (params_->editorFor("corruption") && params_->editorFor("severity"));
  ctta_->setInjectorSupported(injector);
  if (id.startsWith("ctta.")) { ctta_->clear(); }
  onParamsChanged();
  showStatus(tr("Stage %1").arg(id), 5000);
}

void MainWindow::onParamsChanged() {
  const std::string id = bridge_->currentStage();
  if (id.empty()) { return; }
  ParamSet all = params_->values();
  for (const auto& [k, v] : quant_->form()->values()) { all[k] = v; }
  stage_params_[id] = all;
  bridge_->setParams(all);   // applied by the runner at the next item boundary
}

int64_t MainWindow::runCurrent() {
  if (bridge_->currentStage().empty()) {
    showError(tr("Choose a stage first."));
    return -1;
  }
  const QString name = source_path_.isEmpty() ? currentStage() : QFileInfo(source_path_).fileName();
  const int64_t index = bridge_->submit(source_, name, stage_params_[bridge_->currentStage()]);
  pending_jobs_.push_back(index);
  pipeline_->addJob(index, name);
  return index;
}

void MainWindow::cancelJobs() {
  bridge_->cancel();
  for (int64_t idx : pending_jobs_) { pipeline_->setJobState(idx, panels::JobState::kCancelled); }
  pending_jobs_.clear();
  showStatus(tr("Cancelled"), 3000);
}

void MainWindow::setJobDone(int64_t index, int state, const QString& detail) {
  auto it = std::find(pending_jobs_.begin(), pending_jobs_.end(), index);
  if (it == pending_jobs_.end()) {
    if (pending_jobs_.empty()) { return; }
    it = pending_jobs_.begin();   // stages may not keep Packet::index: results arrive in order per source
  }
  pipeline_->setJobState(*it, static_cast<panels::JobState>(state), detail);
  pending_jobs_.erase(it);
}

void MainWindow::onError(qint64 index, const QString& message) {
  if (index >= 0) { setJobDone(index, static_cast<int>(panels::JobState::kFailed), message); }
  if (index < 0 && bridge_->videoActive()) {   // live frames: pause and say it once, not once per frame
    if (bridge_->videoPaused()) {
      errors_ << message;
      showStatus(message, 15000);
    } else {
      setVideoPaused(true);
      showError(tr("%1 (video paused)").arg(message));
    }
    bridge_->clearError();
    return;
  }
  showError(message);
  bridge_->clearError();   // shown once; the next failure is reported again
}

void MainWindow::showError(const QString& message) {
  errors_ << message;
  showStatus(message, 15000);
  if (!interactive_) { return; }
  auto* box = new QMessageBox(QMessageBox::Warning, tr("Atelier"), message, QMessageBox::Ok, this);
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->setModal(false);
  box->show();   // never exec(): the event loop keeps running
}

void MainWindow::onTick() {
  ++ticks_;
  const BridgeProgress p = bridge_->progress();
  pipeline_->setProgress(p.step_done, p.step_total, p.busy, p.queued);
  if (p.busy && !pending_jobs_.empty() && pipeline_->jobState(pending_jobs_.front()) == panels::JobState::kQueued) {
    pipeline_->setJobState(pending_jobs_.front(), panels::JobState::kRunning);
  }
  if (ticks_ % 15 == 1) {   // 2 Hz (and on the first tick): profiler copy, memory, HUD; latency panel at 1 Hz
    const ProfileReport rep = bridge_->profile();
    // Qt Charts re-lays out its whole scene per update: 1 Hz is plenty for a latency plot.
    if (ticks_ % 30 == 1) { latency_->updateReport(rep, ticks_ * 0.033); }
    HudStats hud;
    hud.stage = currentStage();
    if (const ZoneStats* z = rep.find("stage." + bridge_->currentStage())) { hud.stage_ms = z->last_ms; }
    const double mem = bridge_->memoryBytes();
    hud.memory_mb = mem / (1024.0 * 1024.0);
    hud.status = p.busy ? tr("running %1/%2, %3 queued").arg(p.step_done).arg(p.step_total).arg(p.queued)
                        : tr("idle");
    viewport_->setHudStats(hud);
    quant_->setMemory(mem, memory_before_change_);
  }
  // HUD refresh: 6 Hz while busy, 2 Hz idle, on the ticks that also update the HUD stats (ticks_ % 15 == 1).
  // A GL view frame costs ~16 ms wall under llvmpipe on 2 busy cores (bench/results/gui_stall_cpu.md).
  if (viewport_->hudVisible() && ((p.busy && ticks_ % 5 == 1) || ticks_ % 15 == 1)) { viewport_->requestFrame(); }
}

}  // namespace atelier::gui
