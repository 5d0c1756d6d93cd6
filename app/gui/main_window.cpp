// MainWindow: construction, docks, menus, layout persistence.
#include "main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QScrollArea>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>
#include <QUndoStack>

#include "panels/ctta_dock.h"
#include "panels/latency_dock.h"
#include "panels/param_form.h"
#include "panels/param_undo.h"
#include "panels/pipeline_dock.h"
#include "panels/quant_cache_dock.h"
#include "panels/recent_files.h"
#include "viewport/gl_viewport.h"

namespace atelier::gui {

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), bridge_(new RunnerBridge(this)), viewport_(new GlViewport(this)),
      undo_(new QUndoStack(this)), tick_(new QTimer(this)), recent_(new panels::RecentFiles()) {
  setWindowTitle("Atelier");
  setObjectName("atelier_main_window");
  setDockNestingEnabled(true);
  setCentralWidget(viewport_);
  buildDocks();
  buildMenus();
  status_label_ = new QLabel(this);
  status_label_->setObjectName("atelier_status");
  status_label_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);   // new text: no relayout
  statusBar()->addWidget(status_label_, 1);
  status_clear_ = new QTimer(this);
  status_clear_->setSingleShot(true);
  connect(status_clear_, &QTimer::timeout, status_label_, &QLabel::clear);
  showStatus(tr("Ready"));
  resize(1280, 800);
  QSettings settings;
  restoreGeometry(settings.value("layout/geometry").toByteArray());
  restoreState(settings.value("layout/state").toByteArray());

  std::vector<std::pair<std::string, std::string>> stages = RunnerBridge::stages();
  pipeline_->setStages(stages);
  bool have_ctta = false;
  for (const auto& [id, label] : stages) { have_ctta = have_ctta || id.rfind("ctta.", 0) == 0; }
  ctta_->setAvailable(have_ctta, tr("No CTTA stage is registered in this build; the panel is shown disabled."));
  ctta_->setInjectorSupported(false);

  connect(pipeline_, &panels::PipelineDock::stageSelected, this, &MainWindow::onStageSelected);
  connect(pipeline_, &panels::PipelineDock::runRequested, this, [this] { runCurrent(); });
  connect(pipeline_, &panels::PipelineDock::cancelRequested, this, &MainWindow::cancelJobs);
  connect(params_, &panels::ParamForm::valuesChanged, this, &MainWindow::onParamsChanged);
  connect(quant_->form(), &panels::ParamForm::valuesChanged, this, &MainWindow::onParamsChanged);
  connect(quant_->form(), &panels::ParamForm::edited, this,
          [this] { memory_before_change_ = bridge_->memoryBytes(); });
  panels::connectUndo(params_, undo_);
  panels::connectUndo(quant_->form(), undo_);
  connect(ctta_, &panels::CttaDock::injectorChanged, this, [this](const QString& corruption, int severity) {
    const bool none = corruption == "none";
    if (params_->editorFor("inject")) {   // ctta.* stages: "name:severity", empty for none
      params_->setValue("inject", none ? std::string() : QString("%1:%2").arg(corruption).arg(severity).toStdString());
    } else {
      params_->setValue("corruption", corruption.toStdString());
      params_->setValue("severity", static_cast<int64_t>(severity));
    }
  });
  connect(bridge_, &RunnerBridge::resultReady, this, &MainWindow::onResult);
  connect(bridge_, &RunnerBridge::errorOccurred, this, &MainWindow::onError);
  connect(bridge_, &RunnerBridge::previewReady, this, [this](const QImage& img) {
    if (!img.isNull()) { viewport_->setImage(img); }
  });
  connect(viewport_, &GlViewport::fileDropped, this, [this](const QString& path) {
    if (path.endsWith(".json", Qt::CaseInsensitive)) {
      loadSessionFile(path);
    } else {
      openSource(path);   // images and videos
    }
  });
  connect(bridge_, &RunnerBridge::videoFrame, this, &MainWindow::onVideoFrame);
  connect(bridge_, &RunnerBridge::videoEnded, this, &MainWindow::onVideoEnded);
  connect(tick_, &QTimer::timeout, this, &MainWindow::onTick);
  tick_->start(33);   // 30 Hz UI poll (architecture §3)
}

MainWindow::~MainWindow() { delete recent_; }

void MainWindow::showStatus(const QString& message, int timeout_ms) {
  status_label_->setText(message);
  if (timeout_ms > 0) {
    status_clear_->start(timeout_ms);
  } else {
    status_clear_->stop();
  }
}

panels::ParamForm* MainWindow::paramForm() const { return params_; }

QDockWidget* MainWindow::addDock(const QString& title, const QString& name, QWidget* w, Qt::DockWidgetArea area) {
  auto* dock = new QDockWidget(title, this);
  dock->setObjectName(name);   // saveState needs names
  dock->setWidget(w);
  addDockWidget(area, dock);
  return dock;
}

void MainWindow::buildDocks() {
  pipeline_ = new panels::PipelineDock;
  params_ = new panels::ParamForm;
  auto* scroll = new QScrollArea;
  scroll->setWidgetResizable(true);
  scroll->setWidget(params_);
  quant_ = new panels::QuantCacheDock;
  latency_ = new panels::LatencyDock;
  ctta_ = new panels::CttaDock;
  addDock(tr("Pipeline"), "dock_pipeline", pipeline_, Qt::LeftDockWidgetArea);
  QDockWidget* p = addDock(tr("Parameters"), "dock_params", scroll, Qt::RightDockWidgetArea);
  QDockWidget* q = addDock(tr("Quantization && cache"), "dock_quant", quant_, Qt::RightDockWidgetArea);
  tabifyDockWidget(p, q);
  p->raise();
  QDockWidget* l = addDock(tr("Latency"), "dock_latency", latency_, Qt::BottomDockWidgetArea);
  QDockWidget* c = addDock(tr("CTTA live"), "dock_ctta", ctta_, Qt::BottomDockWidgetArea);
  tabifyDockWidget(l, c);
  l->raise();
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("&Open image…"), QKeySequence::Open, this, &MainWindow::openDialog);
  file->addAction(tr("Open &video…"), this, &MainWindow::openVideoDialog);
  file->addAction(tr("Open &webcam"), this, [this] { openWebcam(); });
  file->addAction(tr("Open &session…"), this, &MainWindow::openSessionDialog);
  file->addAction(tr("&Save session…"), QKeySequence::Save, this, &MainWindow::saveSessionDialog);
  file->addAction(tr("Save &result as PNG…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S), this,
                  &MainWindow::saveResultDialog);
  recent_menu_ = file->addMenu(tr("&Recent files"));
  rebuildRecentMenu();
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  QAction* u = undo_->createUndoAction(this, tr("&Undo"));
  u->setShortcut(QKeySequence::Undo);
  QAction* r = undo_->createRedoAction(this, tr("&Redo"));
  r->setShortcut(QKeySequence::Redo);
  edit->addAction(u);
  edit->addAction(r);

  view_menu_ = menuBar()->addMenu(tr("&View"));
  view_menu_->addAction(tr("&Fit"), QKeySequence(Qt::Key_F), viewport_, &GlViewport::fitToWindow);
  view_menu_->addAction(tr("&1:1"), QKeySequence(Qt::Key_1), viewport_, &GlViewport::actualSize);
  view_menu_->addAction(tr("Zoom &in"), QKeySequence::ZoomIn, this,
                        [this] { viewport_->setZoom(viewport_->transform().zoom() * 1.25); });
  view_menu_->addAction(tr("Zoom &out"), QKeySequence::ZoomOut, this,
                        [this] { viewport_->setZoom(viewport_->transform().zoom() / 1.25); });
  QAction* split = view_menu_->addAction(tr("Before/after &split (Shift+drag moves it)"));
  split->setShortcut(QKeySequence(Qt::Key_S));
  split->setCheckable(true);
  connect(split, &QAction::toggled, this, [this](bool on) { viewport_->setSplit(on ? 0.5 : -1.0); });
  QMenu* channels = view_menu_->addMenu(tr("&Channel"));
  auto* group = new QActionGroup(this);
  for (const char* name : {"rgb", "r", "g", "b", "luma", "alpha"}) {
    QAction* a = channels->addAction(QString(name).toUpper());
    a->setCheckable(true);
    a->setChecked(QString(name) == "rgb");
    group->addAction(a);
    connect(a, &QAction::triggered, this, [this, name] { viewport_->setChannel(channelFromName(name)); });
  }
  QAction* hud = view_menu_->addAction(tr("&HUD"));
  hud->setShortcut(QKeySequence(Qt::Key_H));
  hud->setCheckable(true);
  hud->setChecked(true);
  connect(hud, &QAction::toggled, viewport_, &GlViewport::setHudVisible);
  view_menu_->addSeparator();
  for (QDockWidget* d : findChildren<QDockWidget*>()) { view_menu_->addAction(d->toggleViewAction()); }

  QMenu* run = menuBar()->addMenu(tr("&Run"));
  run->addAction(tr("&Run"), QKeySequence(Qt::CTRL | Qt::Key_R), this, [this] { runCurrent(); });
  run->addAction(tr("&Cancel"), QKeySequence(Qt::Key_Escape), this, &MainWindow::cancelJobs);
  run->addSeparator();
  play_action_ = run->addAction(tr("&Play video"));
  play_action_->setShortcut(QKeySequence(Qt::Key_Space));
  play_action_->setCheckable(true);
  connect(play_action_, &QAction::triggered, this, [this](bool on) { setVideoPaused(!on); });
  run->addAction(tr("&Stop video"), this, &MainWindow::stopVideo);
}

void MainWindow::closeEvent(QCloseEvent* e) {
  QSettings settings;
  settings.setValue("layout/geometry", saveGeometry());
  settings.setValue("layout/state", saveState());
  bridge_->stopVideo();
  bridge_->cancel();
  e->accept();
}

}  // namespace atelier::gui
