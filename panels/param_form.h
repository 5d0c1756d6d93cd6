// ParamForm: a generic form generated from a stage's ParamSpecs (OBS properties-view style): bool -> checkbox,
// int/float -> spin box with the spec's range, choice -> combo box, text -> line edit, path -> line edit + browse.
// No per-pipeline widgets. Thread-safety: GUI thread only.
#pragma once

#include <QString>
#include <QVariant>
#include <QWidget>

#include <map>
#include <string>
#include <vector>

#include "atelier/param.h"

class QFormLayout;

namespace atelier::panels {

class ParamForm : public QWidget {
  Q_OBJECT

 public:
  explicit ParamForm(QWidget* parent = nullptr);

  void setSpecs(const std::vector<ParamSpec>& specs);        // rebuilds the widgets; values = defaults
  const std::vector<ParamSpec>& specs() const { return specs_; }
  ParamSet values() const;                                   // current values, typed per spec
  void setValues(const ParamSet& values);                    // unknown ids/invalid values ignored; no edited()
  bool setValue(const std::string& id, const ParamValue& v); // false when unknown/invalid; no edited()
  void resetToDefaults();                                    // no edited()
  QWidget* editorFor(const std::string& id) const;           // the widget editing `id` (nullptr if unknown)
  bool isEmpty() const { return specs_.empty(); }

 Q_SIGNALS:
  void edited(QString id, QVariant old_value, QVariant new_value);   // a user edit (for undo)
  void valuesChanged();                                              // any change: user, setValue(s), reset

 private:
  QWidget* makeEditor(const ParamSpec& spec);
  ParamValue readEditor(const ParamSpec& spec) const;
  void writeEditor(const ParamSpec& spec, const ParamValue& v);
  void onEditorChanged(const std::string& id);
  bool assign(const std::string& id, const ParamValue& v);   // typed write, no signal
  const ParamSpec* findSpec(const std::string& id) const;

  std::vector<ParamSpec> specs_;
  std::map<std::string, QWidget*> editors_;
  std::map<std::string, ParamValue> last_;   // value before the pending user edit (undo's "old")
  QFormLayout* layout_ = nullptr;
  QFormLayout* advanced_layout_ = nullptr;
  bool writing_ = false;
};

}  // namespace atelier::panels
