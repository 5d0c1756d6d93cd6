// Undo/redo of results: a finished job's image replaces the shown result; undo shows the previous one again.
// Lives on the same QUndoStack as parameter edits (param_undo.h). Thread-safety: GUI thread only.
#pragma once

#include <QImage>
#include <QUndoCommand>

#include <functional>

namespace atelier::panels {

class ResultChangeCommand : public QUndoCommand {
 public:
  using ShowFn = std::function<void(const QImage& result)>;   // displays a result (null image: none)
  // `show` must stay valid while the command lives (the stack's owner passes a lambda on itself).
  ResultChangeCommand(QImage previous, QImage result, ShowFn show, const QString& text);
  void undo() override;                                        // show(previous)
  void redo() override;                                        // show(result); also runs on push
  const QImage& result() const { return result_; }
  const QImage& previous() const { return previous_; }

 private:
  QImage previous_, result_;                                   // implicitly shared: no pixel copies
  ShowFn show_;
};

}  // namespace atelier::panels
