// MainWindow: the workbench. Central GL viewport; dockable panels (pipeline, parameters, quant & cache, latency,
// CTTA live); sources: images, video files and webcams (live, through the runner's drop-oldest queue);
// sessions (JSON, atomic), undo/redo of parameter edits and results, recent files, saved layout.
// All tensor work goes through RunnerBridge (worker thread); this class only draws and polls (30 Hz timer).
// Thread-safety: GUI thread only.
#pragma once

#include <QImage>
#include <QMainWindow>
#include <QStringList>

#include <deque>
#include <map>
#include <string>

#include "atelier/param.h"
#include "panels/session.h"
#include "runner_bridge.h"

class QAction;
class QDockWidget;
class QLabel;
class QMenu;
class QTimer;
class QUndoStack;

namespace atelier::panels {
class CttaDock;
class LatencyDock;
class ParamForm;
class PipelineDock;
class QuantCacheDock;
class RecentFiles;
}  // namespace atelier::panels

namespace atelier::gui {

class GlViewport;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  bool openImage(const QString& path);                 // shows it as the source; false + message on error
  bool openSource(const QString& path);                // video extensions -> openVideo, else openImage
  // Plays a video file or "webcam[:N]" through the current stage as a live source; false + message on error.
  bool openVideo(const QString& spec);
  bool openWebcam() { return openVideo("webcam:0"); }
  void setVideoPaused(bool paused);                    // play/pause of the open video (no-op without one)
  void stopVideo();
  bool videoActive() const;
  int framesShown() const { return frames_shown_; }    // video frames received from the feeder
  int liveResultsReceived() const { return live_results_; }
  static bool isVideoPath(const QString& path);
  bool loadSessionFile(const QString& path);           // false + message on error (window stays usable)
  bool saveSessionFile(const QString& path);           // atomic
  panels::Session captureSession() const;
  void applySession(const panels::Session& s);
  bool selectStage(const QString& id);                 // false + message when not registered
  QString currentStage() const;
  int64_t runCurrent();                                // queues the source through the stage; -1 if no stage
  void cancelJobs();
  bool saveResultPng(const QString& path);             // result (or source) with parameters as PNG text
  void setInteractive(bool on) { interactive_ = on; }  // false: errors go to the status bar only (tests)
  QStringList errors() const { return errors_; }       // every error message shown so far
  const QImage& sourceImage() const { return source_; }
  const QImage& resultImage() const { return result_; }
  int resultsReceived() const { return results_received_; }

  GlViewport* viewport() const { return viewport_; }
  RunnerBridge* bridge() const { return bridge_; }
  panels::ParamForm* paramForm() const;
  panels::PipelineDock* pipelineDock() const { return pipeline_; }
  panels::QuantCacheDock* quantDock() const { return quant_; }
  panels::LatencyDock* latencyDock() const { return latency_; }
  panels::CttaDock* cttaDock() const { return ctta_; }
  QUndoStack* undoStack() const { return undo_; }

 protected:
  void closeEvent(QCloseEvent* e) override;

 private:
  void buildDocks();
  void buildMenus();
  QDockWidget* addDock(const QString& title, const QString& name, QWidget* w, Qt::DockWidgetArea area);
  void onStageSelected(const QString& id);
  void onParamsChanged();
  void onResult(const BridgeResult& r);
  void onVideoFrame(const QImage& frame, qint64 index);
  void onVideoEnded(const QString& error);
  void showResult(const QImage& image);                // result image -> viewport (null: back to the source)
  void openVideoDialog();
  void onError(qint64 index, const QString& message);
  void onTick();
  void showError(const QString& message);
  // Status-bar text (a label: repaints with the next frame, where QStatusBar::showMessage repaint()s inside the
  // caller); timeout_ms 0: stays.
  void showStatus(const QString& message, int timeout_ms = 0);
  void setJobDone(int64_t index, int state, const QString& detail);
  void rebuildRecentMenu();
  void openDialog();
  void openSessionDialog();
  void saveSessionDialog();
  void saveResultDialog();

  RunnerBridge* bridge_;
  GlViewport* viewport_;
  panels::PipelineDock* pipeline_ = nullptr;
  panels::ParamForm* params_ = nullptr;
  panels::QuantCacheDock* quant_ = nullptr;
  panels::LatencyDock* latency_ = nullptr;
  panels::CttaDock* ctta_ = nullptr;
  QUndoStack* undo_;
  QTimer* tick_;
  QLabel* status_label_ = nullptr;
  QTimer* status_clear_ = nullptr;
  QMenu* recent_menu_ = nullptr;
  QMenu* view_menu_ = nullptr;
  panels::RecentFiles* recent_;
  QImage source_, result_;
  QString source_path_;
  std::map<std::string, ParamSet> stage_params_;       // values per stage id (survive stage switches)
  std::deque<int64_t> pending_jobs_;                   // submitted, no result/error yet (oldest first)
  QStringList errors_;
  bool interactive_ = true;
  int results_received_ = 0;
  int frames_shown_ = 0, live_results_ = 0;
  QAction* play_action_ = nullptr;                     // Run > Play/pause video
  double memory_before_change_ = -1;
  qint64 ticks_ = 0;
};

void configureDefaultSurfaceFormat();                  // OpenGL 3.3 core for the viewport and ImGui; before QApplication
// Pumps events for `settle_ms` so the window and GL viewport have painted, then writes the window to `path`.
bool saveWindowScreenshot(QWidget& window, const QString& path, int settle_ms, QString* error);

}  // namespace atelier::gui
