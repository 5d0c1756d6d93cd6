// ViewTransform: maps an image into a widget (zoom, pan, fit, 1:1). Pure maths, no GL; logical pixels.
// Thread-safety: plain value.
#pragma once

#include <QPointF>
#include <QRectF>
#include <QSize>

namespace atelier::gui {

class ViewTransform {
 public:
  void setImageSize(QSize s);                 // keeps fit mode; clamps nothing
  void setViewSize(QSize s);
  void fit();                                 // whole image visible, centred; stays fitted on resize
  void actualSize();                          // 1 image pixel = 1 logical pixel, centred
  void setZoom(double z);                     // about the view centre; leaves fit mode
  void zoomAt(double factor, QPointF view_pt);// keeps the image point under view_pt fixed
  void panBy(QPointF delta);                  // in view pixels; leaves fit mode
  double zoom() const;                        // current scale (fit: computed)
  bool isFit() const { return fit_; }
  QRectF imageRect() const;                   // image rectangle in view coordinates
  QPointF viewToImage(QPointF view_pt) const; // image pixel coordinates (may be outside the image)

  static constexpr double kMinZoom = 1.0 / 64, kMaxZoom = 64.0;

 private:
  QSize image_{1, 1}, view_{1, 1};
  double zoom_ = 1.0;
  QPointF centre_offset_;                     // image centre minus view centre, view pixels
  bool fit_ = true;
};

}  // namespace atelier::gui
