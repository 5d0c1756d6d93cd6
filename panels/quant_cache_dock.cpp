// QuantCacheDock: precision and cache parameters of the current stage.
#include "panels/quant_cache_dock.h"

#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>
#include <cctype>

namespace atelier::panels {

bool isQuantCacheParam(const ParamSpec& spec) {
  std::string id = spec.id;
  std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* key : {"dtype", "precision", "quant", "cache"}) {
    if (id.find(key) != std::string::npos) { return true; }
  }
  return false;
}

void splitSpecs(const std::vector<ParamSpec>& all, std::vector<ParamSpec>* general,
                std::vector<ParamSpec>* quant_cache) {
  for (const auto& s : all) { (isQuantCacheParam(s) ? quant_cache : general)->push_back(s); }
}

QuantCacheDock::QuantCacheDock(QWidget* parent) : QWidget(parent) {
  auto* lay = new QVBoxLayout(this);
  empty_ = new QLabel(tr("The selected stage declares no precision or cache parameters."));
  empty_->setWordWrap(true);
  form_ = new ParamForm;
  memory_ = new QLabel(tr("memory: –"));
  memory_->setObjectName("memory");
  lay->addWidget(empty_);
  lay->addWidget(form_, 1);
  lay->addWidget(memory_);
}

void QuantCacheDock::setSpecs(const std::vector<ParamSpec>& quant_cache_specs) {
  form_->setSpecs(quant_cache_specs);
  empty_->setVisible(quant_cache_specs.empty());
}

void QuantCacheDock::setMemory(double now_bytes, double before_change_bytes) {
  const double mb = 1024.0 * 1024.0;
  QString text = tr("memory: %1 MB").arg(now_bytes / mb, 0, 'f', 1);
  if (before_change_bytes >= 0) { text += tr(" (before last change: %1 MB)").arg(before_change_bytes / mb, 0, 'f', 1); }
  memory_->setText(text);
}

}  // namespace atelier::panels
