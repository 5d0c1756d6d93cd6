// ParamForm: widgets generated from ParamSpecs; values round-trip to ParamSet.
#include "panels/param_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include <climits>
#include <cmath>

#include "panels/param_value_qt.h"

namespace atelier::panels {
namespace {

int64_t asInt(const ParamValue& v, int64_t fallback) {
  if (const auto* i = std::get_if<int64_t>(&v)) { return *i; }
  if (const auto* d = std::get_if<double>(&v)) { return static_cast<int64_t>(*d); }
  return fallback;
}
double asDouble(const ParamValue& v, double fallback) {
  if (const auto* d = std::get_if<double>(&v)) { return *d; }
  if (const auto* i = std::get_if<int64_t>(&v)) { return static_cast<double>(*i); }
  return fallback;
}
bool fitsInt(int64_t lo, int64_t hi) { return lo >= INT_MIN && hi <= INT_MAX; }

// Decimals that show the range's resolution: 0.01..1 -> 3, 1..100 -> 2, wide -> 1; at least 2 for tiny steps.
int decimalsFor(double lo, double hi) {
  const double span = std::max(1e-9, hi - lo);
  return std::clamp(static_cast<int>(3 - std::floor(std::log10(span))), 1, 6);
}

}  // namespace

ParamForm::ParamForm(QWidget* parent) : QWidget(parent) {
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(4, 4, 4, 4);
  auto* basic = new QWidget(this);
  layout_ = new QFormLayout(basic);
  layout_->setContentsMargins(0, 0, 0, 0);
  outer->addWidget(basic);
  auto* adv = new QGroupBox(tr("Advanced"), this);
  adv->setObjectName("advanced");
  advanced_layout_ = new QFormLayout(adv);
  adv->setVisible(false);
  outer->addWidget(adv);
  outer->addStretch(1);
}

const ParamSpec* ParamForm::findSpec(const std::string& id) const {
  for (const auto& s : specs_) {
    if (s.id == id) { return &s; }
  }
  return nullptr;
}

void ParamForm::setSpecs(const std::vector<ParamSpec>& specs) {
  for (auto* l : {layout_, advanced_layout_}) {
    while (l->rowCount() > 0) { l->removeRow(0); }
  }
  editors_.clear();
  last_.clear();
  specs_ = specs;
  bool any_advanced = false;
  for (const auto& spec : specs_) {
    QWidget* editor = makeEditor(spec);
    if (!editor) { continue; }
    editors_[spec.id] = editor;
    editor->setObjectName(QString::fromStdString(spec.id));
    editor->setToolTip(QString::fromStdString(spec.help));
    auto* label = new QLabel(QString::fromStdString(spec.label.empty() ? spec.id : spec.label));
    label->setToolTip(QString::fromStdString(spec.help));
    (spec.advanced ? advanced_layout_ : layout_)->addRow(label, editor);
    any_advanced = any_advanced || spec.advanced;
    writeEditor(spec, spec.init);
    last_[spec.id] = readEditor(spec);
  }
  if (auto* adv = findChild<QGroupBox*>("advanced")) { adv->setVisible(any_advanced); }
  Q_EMIT valuesChanged();
}

QWidget* ParamForm::makeEditor(const ParamSpec& spec) {
  const std::string id = spec.id;
  auto changed = [this, id] { onEditorChanged(id); };
  switch (spec.type) {
    case ParamType::kBool: {
      auto* w = new QCheckBox;
      connect(w, &QCheckBox::toggled, this, changed);
      return w;
    }
    case ParamType::kInt: {
      const int64_t lo = asInt(spec.min, INT_MIN), hi = asInt(spec.max, INT_MAX);
      if (fitsInt(lo, hi)) {
        auto* w = new QSpinBox;
        w->setRange(static_cast<int>(lo), static_cast<int>(hi));
        w->setKeyboardTracking(false);
        connect(w, qOverload<int>(&QSpinBox::valueChanged), this, changed);
        return w;
      }
      auto* w = new QDoubleSpinBox;   // int64 ranges (seeds): exact up to 2^53
      w->setDecimals(0);
      w->setRange(static_cast<double>(lo), static_cast<double>(hi));
      w->setKeyboardTracking(false);
      connect(w, qOverload<double>(&QDoubleSpinBox::valueChanged), this, changed);
      return w;
    }
    case ParamType::kFloat: {
      const double lo = asDouble(spec.min, -1e9), hi = asDouble(spec.max, 1e9);
      auto* w = new QDoubleSpinBox;
      w->setDecimals(decimalsFor(lo, hi));
      w->setRange(lo, hi);
      w->setSingleStep((hi - lo) > 0 && (hi - lo) < 1e6 ? (hi - lo) / 100.0 : 1.0);
      w->setKeyboardTracking(false);
      connect(w, qOverload<double>(&QDoubleSpinBox::valueChanged), this, changed);
      return w;
    }
    case ParamType::kChoice: {
      auto* w = new QComboBox;
      for (const auto& c : spec.choices) { w->addItem(QString::fromStdString(c)); }
      connect(w, qOverload<int>(&QComboBox::currentIndexChanged), this, changed);
      return w;
    }
    case ParamType::kText: {
      auto* w = new QLineEdit;
      connect(w, &QLineEdit::editingFinished, this, changed);
      return w;
    }
    case ParamType::kPath: {
      auto* box = new QWidget;
      auto* row = new QHBoxLayout(box);
      row->setContentsMargins(0, 0, 0, 0);
      auto* edit = new QLineEdit;
      edit->setObjectName("path_edit");
      auto* browse = new QToolButton;
      browse->setText("…");
      browse->setObjectName("browse");
      row->addWidget(edit, 1);
      row->addWidget(browse);
      connect(edit, &QLineEdit::editingFinished, this, changed);
      connect(browse, &QToolButton::clicked, this, [this, edit, changed] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Choose file"), edit->text());
        if (!f.isEmpty()) {
          edit->setText(f);
          changed();
        }
      });
      return box;
    }
    default: return nullptr;   // kInvalid: not shown
  }
}

ParamValue ParamForm::readEditor(const ParamSpec& spec) const {
  QWidget* w = editorFor(spec.id);
  switch (spec.type) {
    case ParamType::kBool: return static_cast<QCheckBox*>(w)->isChecked();
    case ParamType::kInt:
      if (auto* sb = qobject_cast<QSpinBox*>(w)) { return static_cast<int64_t>(sb->value()); }
      return static_cast<int64_t>(std::llround(static_cast<QDoubleSpinBox*>(w)->value()));
    case ParamType::kFloat: return static_cast<QDoubleSpinBox*>(w)->value();
    case ParamType::kChoice: return static_cast<QComboBox*>(w)->currentText().toStdString();
    case ParamType::kText: return static_cast<QLineEdit*>(w)->text().toStdString();
    case ParamType::kPath: return w->findChild<QLineEdit*>("path_edit")->text().toStdString();
    default: return spec.init;
  }
}

void ParamForm::writeEditor(const ParamSpec& spec, const ParamValue& value) {
  QWidget* w = editorFor(spec.id);
  ParamValue v;
  if (!w || !coerceToSpec(spec, value, &v)) { return; }   // a mistyped default leaves the widget as is
  writing_ = true;
  switch (spec.type) {
    case ParamType::kBool: static_cast<QCheckBox*>(w)->setChecked(std::get<bool>(v)); break;
    case ParamType::kInt:
      if (auto* sb = qobject_cast<QSpinBox*>(w)) {
        sb->setValue(static_cast<int>(asInt(v, 0)));
      } else {
        static_cast<QDoubleSpinBox*>(w)->setValue(static_cast<double>(asInt(v, 0)));
      }
      break;
    case ParamType::kFloat: static_cast<QDoubleSpinBox*>(w)->setValue(asDouble(v, 0)); break;
    case ParamType::kChoice: {
      auto* cb = static_cast<QComboBox*>(w);
      cb->setCurrentIndex(cb->findText(QString::fromStdString(std::get<std::string>(v))));
      break;
    }
    case ParamType::kText: static_cast<QLineEdit*>(w)->setText(QString::fromStdString(std::get<std::string>(v))); break;
    case ParamType::kPath:
      w->findChild<QLineEdit*>("path_edit")->setText(QString::fromStdString(std::get<std::string>(v)));
      break;
    default: break;
  }
  writing_ = false;
}

void ParamForm::onEditorChanged(const std::string& id) {
  if (writing_) { return; }
  const ParamSpec* spec = findSpec(id);
  if (!spec) { return; }
  const ParamValue now = readEditor(*spec);
  const ParamValue old = last_[id];
  if (now == old) { return; }
  last_[id] = now;
  Q_EMIT edited(QString::fromStdString(id), toVariant(old), toVariant(now));
  Q_EMIT valuesChanged();
}

ParamSet ParamForm::values() const {
  ParamSet out;
  for (const auto& spec : specs_) {
    if (editorFor(spec.id)) { out[spec.id] = readEditor(spec); }
  }
  return out;
}

bool ParamForm::assign(const std::string& id, const ParamValue& v) {
  const ParamSpec* spec = findSpec(id);
  ParamValue typed;
  if (!spec || !editorFor(id) || !coerceToSpec(*spec, v, &typed) || !validateParam(*spec, typed).ok()) { return false; }
  writeEditor(*spec, typed);
  last_[id] = readEditor(*spec);
  return true;
}

bool ParamForm::setValue(const std::string& id, const ParamValue& v) {
  if (!assign(id, v)) { return false; }
  Q_EMIT valuesChanged();
  return true;
}

void ParamForm::setValues(const ParamSet& values) {
  const ParamSet copy = values;   // listeners of valuesChanged may own `values`
  bool any = false;
  for (const auto& [id, v] : copy) { any = assign(id, v) || any; }
  if (any) { Q_EMIT valuesChanged(); }
}

void ParamForm::resetToDefaults() {
  for (const auto& spec : specs_) {
    writeEditor(spec, spec.init);
    if (editorFor(spec.id)) { last_[spec.id] = readEditor(spec); }
  }
  Q_EMIT valuesChanged();
}

QWidget* ParamForm::editorFor(const std::string& id) const {
  auto it = editors_.find(id);
  return it == editors_.end() ? nullptr : it->second;
}

}  // namespace atelier::panels
