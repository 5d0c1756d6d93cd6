// ParamChangeCommand: undoable parameter edits.
#include "panels/param_undo.h"

#include <QUndoStack>

#include "panels/param_value_qt.h"

namespace atelier::panels {

ParamChangeCommand::ParamChangeCommand(ParamForm* form, QString param_id, QVariant old_value, QVariant new_value)
    : form_(form), param_id_(std::move(param_id)), old_(std::move(old_value)), new_(std::move(new_value)) {
  setText(QObject::tr("change %1").arg(param_id_));
}

void ParamChangeCommand::undo() {
  if (form_) { form_->setValue(param_id_.toStdString(), fromVariant(old_)); }
}

void ParamChangeCommand::redo() {
  if (first_) {
    first_ = false;
    return;
  }
  if (form_) { form_->setValue(param_id_.toStdString(), fromVariant(new_)); }
}

bool ParamChangeCommand::mergeWith(const QUndoCommand* other) {
  const auto* o = dynamic_cast<const ParamChangeCommand*>(other);
  if (!o || o->form_ != form_ || o->param_id_ != param_id_) { return false; }
  new_ = o->new_;
  return true;
}

void connectUndo(ParamForm* form, QUndoStack* stack) {
  QObject::connect(form, &ParamForm::edited, stack, [form, stack](QString id, QVariant old_v, QVariant new_v) {
    stack->push(new ParamChangeCommand(form, id, old_v, new_v));
  });
}

}  // namespace atelier::panels
