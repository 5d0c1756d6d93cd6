// GlViewport: the widget host of the native GL view, and file drops.
#include "viewport/gl_viewport.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QMimeData>
#include <QVBoxLayout>

namespace atelier::gui {

GlViewport::GlViewport(QWidget* parent) : QWidget(parent), window_(new GlViewWindow()) {
  QWidget* container = QWidget::createWindowContainer(window_, this);   // takes ownership of window_
  container->setFocusPolicy(Qt::StrongFocus);
  container->setMinimumSize(64, 64);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(container);
  setFocusProxy(container);
  setAcceptDrops(true);   // drops over the GL window reach the widget under the cursor: the container's parent
  setMinimumSize(64, 64);
  connect(window_, &GlViewWindow::fileDropped, this, &GlViewport::fileDropped);
}

GlViewport::~GlViewport() = default;

void GlViewport::dragEnterEvent(QDragEnterEvent* e) {
  if (!firstLocalFile(e->mimeData()).isEmpty()) { e->acceptProposedAction(); }
}

void GlViewport::dropEvent(QDropEvent* e) {
  const QString path = firstLocalFile(e->mimeData());
  if (!path.isEmpty()) { Q_EMIT fileDropped(path); }
}

}  // namespace atelier::gui
