// Undo/redo of parameter edits through QUndoStack.
#include "panels/param_undo.h"

#include <gtest/gtest.h>

#include <QComboBox>
#include <QSpinBox>
#include <QUndoStack>

#include "qt_test_app.h"

namespace atelier::panels {
namespace {

std::vector<ParamSpec> specs() {
  return {ParamSpec::Int("steps", "Steps", 20, 1, 150), ParamSpec::Choice("mode", "Mode", "a", {"a", "b", "c"})};
}

TEST(ParamUndo, UndoRedoRestoresValues) {
  test::qtApp();
  ParamForm form;
  form.setSpecs(specs());
  QUndoStack stack;
  connectUndo(&form, &stack);
  auto* steps = qobject_cast<QSpinBox*>(form.editorFor("steps"));
  auto* mode = qobject_cast<QComboBox*>(form.editorFor("mode"));
  steps->setValue(25);
  mode->setCurrentIndex(2);
  ASSERT_EQ(stack.count(), 2);
  EXPECT_EQ(form.values().at("mode"), ParamValue(std::string("c")));
  stack.undo();
  EXPECT_EQ(form.values().at("mode"), ParamValue(std::string("a")));
  EXPECT_EQ(form.values().at("steps"), ParamValue(int64_t{25}));
  stack.undo();
  EXPECT_EQ(form.values().at("steps"), ParamValue(int64_t{20}));
  EXPECT_FALSE(stack.canUndo());
  stack.redo();
  stack.redo();
  EXPECT_EQ(form.values().at("steps"), ParamValue(int64_t{25}));
  EXPECT_EQ(form.values().at("mode"), ParamValue(std::string("c")));
  EXPECT_EQ(stack.count(), 2) << "undo/redo must not record new commands";
}

TEST(ParamUndo, ConsecutiveEditsOfOneParameterMerge) {
  test::qtApp();
  ParamForm form;
  form.setSpecs(specs());
  QUndoStack stack;
  connectUndo(&form, &stack);
  auto* steps = qobject_cast<QSpinBox*>(form.editorFor("steps"));
  for (int v = 21; v <= 30; ++v) { steps->setValue(v); }   // spin box arrow presses
  EXPECT_EQ(stack.count(), 1);
  stack.undo();
  EXPECT_EQ(form.values().at("steps"), ParamValue(int64_t{20}));
  stack.redo();
  EXPECT_EQ(form.values().at("steps"), ParamValue(int64_t{30}));
}

TEST(ParamUndo, CommandOutlivingItsFormIsHarmless) {
  test::qtApp();
  QUndoStack stack;
  {
    ParamForm form;
    form.setSpecs(specs());
    connectUndo(&form, &stack);
    qobject_cast<QSpinBox*>(form.editorFor("steps"))->setValue(40);
  }
  ASSERT_EQ(stack.count(), 1);
  stack.undo();   // form is gone: must not crash
  stack.redo();
  SUCCEED();
}

}  // namespace
}  // namespace atelier::panels
