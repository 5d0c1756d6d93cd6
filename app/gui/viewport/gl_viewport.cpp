// GlViewport: the widget host of the native GL view, and file drops.
#include "viewport/gl_viewport.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QMimeData>
#include <QUrl>
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
}

GlViewport::~GlViewport() = default;

void GlViewport::dragEnterEvent(QDragEnterEvent* e) {
  if (e->mimeData()->hasUrls()) { e->acceptProposedAction(); }
}

void GlViewport::dropEvent(QDropEvent* e) {
  for (const QUrl& url : e->mimeData()->urls()) {
    if (url.isLocalFile()) {
      Q_EMIT fileDropped(url.toLocalFile());
      break;
    }
  }
}

}  // namespace atelier::gui
