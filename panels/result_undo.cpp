// ResultChangeCommand: undoable results.
#include "panels/result_undo.h"

#include <utility>

namespace atelier::panels {

ResultChangeCommand::ResultChangeCommand(QImage previous, QImage result, ShowFn show, const QString& text)
    : previous_(std::move(previous)), result_(std::move(result)), show_(std::move(show)) {
  setText(text);
}

void ResultChangeCommand::undo() {
  if (show_) { show_(previous_); }
}

void ResultChangeCommand::redo() {
  if (show_) { show_(result_); }
}

}  // namespace atelier::panels
