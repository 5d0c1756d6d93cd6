// Quantization & caching panel: the subset of a stage's ParamSpecs that choose precision (dtype, quant) or
// toggle caches, shown as an ordinary generated form; the runner applies them at the next item boundary.
// Also shows memory before/after the last change. Thread-safety: GUI thread only.
#pragma once

#include <QWidget>

#include <vector>

#include "atelier/param.h"
#include "panels/param_form.h"

class QLabel;

namespace atelier::panels {

// True for parameters that belong in this panel: ids containing dtype, precision, quant or cache.
bool isQuantCacheParam(const ParamSpec& spec);
// Splits specs into (general, quant/cache), keeping order.
void splitSpecs(const std::vector<ParamSpec>& all, std::vector<ParamSpec>* general,
                std::vector<ParamSpec>* quant_cache);

class QuantCacheDock : public QWidget {
  Q_OBJECT

 public:
  explicit QuantCacheDock(QWidget* parent = nullptr);
  void setSpecs(const std::vector<ParamSpec>& quant_cache_specs);   // empty: shows "stage declares none"
  ParamForm* form() const { return form_; }
  void setMemory(double now_bytes, double before_change_bytes);      // before < 0: unknown

 private:
  ParamForm* form_;
  QLabel* empty_;
  QLabel* memory_;
};

}  // namespace atelier::panels
