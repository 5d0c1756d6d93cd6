// Undo/redo of parameter edits: one QUndoCommand per user edit in a ParamForm; consecutive edits of the same
// parameter merge (spin box arrows, typing). Thread-safety: GUI thread only.
#pragma once

#include <QPointer>
#include <QUndoCommand>
#include <QVariant>

#include "panels/param_form.h"

namespace atelier::panels {

class ParamChangeCommand : public QUndoCommand {
 public:
  // The edit already happened in `form` (ParamForm::edited); the first redo() is therefore a no-op.
  ParamChangeCommand(ParamForm* form, QString param_id, QVariant old_value, QVariant new_value);
  void undo() override;                                    // writes old_value back into the form
  void redo() override;                                    // writes new_value (skipped on first push)
  int id() const override { return 0x5041; }              // merge key
  bool mergeWith(const QUndoCommand* other) override;      // same form and parameter -> keep first old value
  const QString& paramId() const { return param_id_; }

 private:
  QPointer<ParamForm> form_;
  QString param_id_;
  QVariant old_, new_;
  bool first_ = true;
};

// Connects form.edited to `stack` so every user edit becomes an undoable command.
void connectUndo(ParamForm* form, class QUndoStack* stack);

}  // namespace atelier::panels
