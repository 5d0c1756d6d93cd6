// ViewTransform maths.
#include "viewport/view_transform.h"

#include <algorithm>

namespace atelier::gui {

void ViewTransform::setImageSize(QSize s) { image_ = s.isEmpty() ? QSize(1, 1) : s; }
void ViewTransform::setViewSize(QSize s) { view_ = s.isEmpty() ? QSize(1, 1) : s; }

void ViewTransform::fit() {
  fit_ = true;
  centre_offset_ = QPointF();
}

void ViewTransform::actualSize() {
  fit_ = false;
  zoom_ = 1.0;
  centre_offset_ = QPointF();
}

double ViewTransform::zoom() const {
  if (!fit_) { return zoom_; }
  return std::min(static_cast<double>(view_.width()) / image_.width(),
                  static_cast<double>(view_.height()) / image_.height());
}

void ViewTransform::setZoom(double z) {
  const double old = zoom();
  zoom_ = std::clamp(z, kMinZoom, kMaxZoom);
  centre_offset_ *= zoom_ / old;
  fit_ = false;
}

void ViewTransform::zoomAt(double factor, QPointF view_pt) {
  const QPointF img = viewToImage(view_pt);
  zoom_ = std::clamp(zoom() * factor, kMinZoom, kMaxZoom);
  fit_ = false;
  // Solve for the offset that puts `img` back under view_pt.
  const QPointF view_centre(view_.width() / 2.0, view_.height() / 2.0);
  const QPointF img_centre(image_.width() / 2.0, image_.height() / 2.0);
  centre_offset_ = view_pt - view_centre - (img - img_centre) * zoom_;
}

void ViewTransform::panBy(QPointF delta) {
  if (fit_) { zoom_ = zoom(); }
  fit_ = false;
  centre_offset_ += delta;
}

QRectF ViewTransform::imageRect() const {
  const double z = zoom();
  const QSizeF size(image_.width() * z, image_.height() * z);
  const QPointF centre = QPointF(view_.width() / 2.0, view_.height() / 2.0) + centre_offset_;
  return QRectF(centre - QPointF(size.width() / 2, size.height() / 2), size);
}

QPointF ViewTransform::viewToImage(QPointF view_pt) const {
  const QRectF r = imageRect();
  const double z = zoom();
  return QPointF((view_pt.x() - r.left()) / z, (view_pt.y() - r.top()) / z);
}

}  // namespace atelier::gui
