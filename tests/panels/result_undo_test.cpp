// Undo/redo of results on the same QUndoStack as parameter edits.
#include "panels/result_undo.h"

#include <gtest/gtest.h>

#include <QUndoStack>

#include "panels/param_undo.h"
#include "qt_test_app.h"

namespace atelier::panels {
namespace {

QImage solid(QColor c) {
  QImage img(4, 4, QImage::Format_RGBA8888);
  img.fill(c);
  return img;
}

TEST(ResultUndo, UndoShowsThePreviousResultAndRedoTheNewOne) {
  test::qtApp();
  QImage shown;   // what the "viewport" displays
  int shows = 0;
  auto show = [&](const QImage& img) { shown = img; ++shows; };
  QUndoStack stack;
  const QImage a = solid(Qt::red), b = solid(Qt::green);
  stack.push(new ResultChangeCommand(QImage(), a, show, "result 1"));   // push applies it
  EXPECT_EQ(shown, a);
  stack.push(new ResultChangeCommand(shown, b, show, "result 2"));
  EXPECT_EQ(shown, b);
  EXPECT_EQ(stack.undoText(), "result 2");
  stack.undo();
  EXPECT_EQ(shown, a);
  stack.undo();
  EXPECT_TRUE(shown.isNull()) << "before the first result nothing was shown";
  EXPECT_FALSE(stack.canUndo());
  stack.redo();
  stack.redo();
  EXPECT_EQ(shown, b);
  EXPECT_EQ(shows, 6);
  EXPECT_EQ(stack.count(), 2) << "undo/redo must not record new commands";
}

TEST(ResultUndo, ResultsAndParameterEditsShareOneHistory) {
  test::qtApp();
  ParamForm form;
  form.setSpecs({ParamSpec::Int("steps", "Steps", 20, 1, 150)});
  QUndoStack stack;
  connectUndo(&form, &stack);
  QImage shown;
  auto show = [&](const QImage& img) { shown = img; };
  form.setValue("steps", int64_t{20});
  Q_EMIT form.edited("steps", QVariant(qlonglong{20}), QVariant(qlonglong{30}));   // a user edit 20 -> 30
  form.setValue("steps", int64_t{30});
  stack.push(new ResultChangeCommand(QImage(), solid(Qt::blue), show, "result"));
  ASSERT_EQ(stack.count(), 2);
  stack.undo();   // the result goes first
  EXPECT_TRUE(shown.isNull());
  EXPECT_EQ(form.values().at("steps"), ParamValue(int64_t{30}));
  stack.undo();   // then the edit
  EXPECT_EQ(form.values().at("steps"), ParamValue(int64_t{20}));
  stack.redo();
  stack.redo();
  EXPECT_EQ(shown, solid(Qt::blue));
  EXPECT_EQ(form.values().at("steps"), ParamValue(int64_t{30}));
}

}  // namespace
}  // namespace atelier::panels
