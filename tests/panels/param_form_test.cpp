// ParamForm: widgets generated from ParamSpecs and the ParamSet round-trip.
#include "panels/param_form.h"

#include <gtest/gtest.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGroupBox>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QToolButton>

#include "panels/param_value_qt.h"
#include "qt_test_app.h"

namespace atelier::panels {
namespace {

std::vector<ParamSpec> allKinds() {
  auto seed = ParamSpec::Int("seed", "Seed", 42, 0, 4294967295LL, "random seed");
  auto tile = ParamSpec::Int("tile", "Tile", 128, 0, 1024);
  tile.advanced = true;
  return {ParamSpec::Bool("fp_tiles", "Overlap tiles", true),
          ParamSpec::Int("steps", "Steps", 20, 1, 150, "denoising steps"),
          seed,
          ParamSpec::Float("strength", "Strength", 0.75, 0.0, 1.0),
          ParamSpec::Choice("scheduler", "Scheduler", "ddim", {"ddim", "euler", "dpm++"}),
          ParamSpec::Text("prompt", "Prompt", "a cat"),
          ParamSpec::Path("model", "Model", "/tmp/model.safetensors"),
          tile};
}

TEST(ParamForm, GeneratesOneEditorPerSpecWithRanges) {
  test::qtApp();
  ParamForm form;
  form.setSpecs(allKinds());
  ASSERT_NE(qobject_cast<QCheckBox*>(form.editorFor("fp_tiles")), nullptr);
  auto* steps = qobject_cast<QSpinBox*>(form.editorFor("steps"));
  ASSERT_NE(steps, nullptr);
  EXPECT_EQ(steps->minimum(), 1);
  EXPECT_EQ(steps->maximum(), 150);
  EXPECT_EQ(steps->toolTip(), "denoising steps");
  auto* seed = qobject_cast<QDoubleSpinBox*>(form.editorFor("seed"));   // int64 range -> exact double box
  ASSERT_NE(seed, nullptr);
  EXPECT_EQ(seed->decimals(), 0);
  EXPECT_EQ(seed->maximum(), 4294967295.0);
  auto* strength = qobject_cast<QDoubleSpinBox*>(form.editorFor("strength"));
  ASSERT_NE(strength, nullptr);
  EXPECT_DOUBLE_EQ(strength->minimum(), 0.0);
  EXPECT_DOUBLE_EQ(strength->maximum(), 1.0);
  EXPECT_GE(strength->decimals(), 2);
  auto* sched = qobject_cast<QComboBox*>(form.editorFor("scheduler"));
  ASSERT_NE(sched, nullptr);
  EXPECT_EQ(sched->count(), 3);
  EXPECT_EQ(sched->currentText(), "ddim");
  ASSERT_NE(qobject_cast<QLineEdit*>(form.editorFor("prompt")), nullptr);
  QWidget* path = form.editorFor("model");
  ASSERT_NE(path, nullptr);
  EXPECT_NE(path->findChild<QLineEdit*>("path_edit"), nullptr);
  EXPECT_NE(path->findChild<QToolButton*>("browse"), nullptr);
  auto* adv = form.findChild<QGroupBox*>("advanced");
  ASSERT_NE(adv, nullptr);
  EXPECT_TRUE(adv->isAncestorOf(form.editorFor("tile")));
  EXPECT_FALSE(adv->isAncestorOf(form.editorFor("steps")));
  EXPECT_EQ(form.editorFor("missing"), nullptr);
}

TEST(ParamForm, DefaultsEqualResolvedParams) {
  test::qtApp();
  ParamForm form;
  const auto specs = allKinds();
  form.setSpecs(specs);
  auto resolved = resolveParams(specs, {});
  ASSERT_TRUE(resolved.ok()) << resolved.status().toString();
  EXPECT_EQ(form.values(), resolved.value());
}

TEST(ParamForm, RoundTripsEveryTypeThroughParamSet) {
  test::qtApp();
  ParamForm form;
  const auto specs = allKinds();
  form.setSpecs(specs);
  const ParamSet want = {{"fp_tiles", false},        {"steps", int64_t{37}},
                         {"seed", int64_t{4000000000LL}}, {"strength", 0.125},
                         {"scheduler", std::string("euler")}, {"prompt", std::string("a dog")},
                         {"model", std::string("/x/y.safetensors")}, {"tile", int64_t{256}}};
  QSignalSpy edits(&form, &ParamForm::edited);
  form.setValues(want);
  EXPECT_EQ(form.values(), want);
  EXPECT_EQ(edits.count(), 0) << "programmatic changes are not user edits";
  EXPECT_TRUE(resolveParams(specs, form.values()).ok());
  // A second form fed the first one's values agrees (the session path).
  ParamForm other;
  other.setSpecs(specs);
  other.setValues(form.values());
  EXPECT_EQ(other.values(), want);
  form.resetToDefaults();
  EXPECT_EQ(form.values(), resolveParams(specs, {}).value());
}

TEST(ParamForm, CoercesJsonNumbersAndRejectsInvalidValues) {
  test::qtApp();
  ParamForm form;
  form.setSpecs(allKinds());
  EXPECT_TRUE(form.setValue("strength", int64_t{1}));     // JSON "1" for a float spec
  EXPECT_EQ(form.values().at("strength"), ParamValue(1.0));
  EXPECT_TRUE(form.setValue("steps", 12.0));              // integral double for an int spec
  EXPECT_EQ(form.values().at("steps"), ParamValue(int64_t{12}));
  EXPECT_FALSE(form.setValue("steps", int64_t{999}));     // out of range
  EXPECT_FALSE(form.setValue("scheduler", std::string("nope")));
  EXPECT_FALSE(form.setValue("unknown", int64_t{1}));
  EXPECT_FALSE(form.setValue("fp_tiles", std::string("maybe")));
  EXPECT_EQ(form.values().at("steps"), ParamValue(int64_t{12}));
  EXPECT_EQ(form.values().at("scheduler"), ParamValue(std::string("ddim")));
}

TEST(ParamForm, UserEditEmitsOldAndNewValue) {
  test::qtApp();
  ParamForm form;
  form.setSpecs(allKinds());
  QSignalSpy edits(&form, &ParamForm::edited);
  QSignalSpy changed(&form, &ParamForm::valuesChanged);
  qobject_cast<QSpinBox*>(form.editorFor("steps"))->setValue(30);      // as a user would
  qobject_cast<QComboBox*>(form.editorFor("scheduler"))->setCurrentIndex(2);
  qobject_cast<QCheckBox*>(form.editorFor("fp_tiles"))->click();
  ASSERT_EQ(edits.count(), 3);
  EXPECT_EQ(edits[0][0].toString(), "steps");
  EXPECT_EQ(edits[0][1].toLongLong(), 20);
  EXPECT_EQ(edits[0][2].toLongLong(), 30);
  EXPECT_EQ(edits[1][2].toString(), "dpm++");
  EXPECT_EQ(edits[2][1].toBool(), true);
  EXPECT_EQ(edits[2][2].toBool(), false);
  EXPECT_EQ(changed.count(), 3);
  EXPECT_EQ(form.values().at("steps"), ParamValue(int64_t{30}));
}

TEST(ParamValueQt, JsonAndVariantConversions) {
  EXPECT_EQ(fromJson(toJson(ParamValue(int64_t{7}))), ParamValue(int64_t{7}));
  EXPECT_EQ(fromJson(toJson(ParamValue(0.5))), ParamValue(0.5));
  EXPECT_EQ(fromJson(toJson(ParamValue(true))), ParamValue(true));
  EXPECT_EQ(fromJson(toJson(ParamValue(std::string("x")))), ParamValue(std::string("x")));
  EXPECT_EQ(fromVariant(toVariant(ParamValue(int64_t{-3}))), ParamValue(int64_t{-3}));
  EXPECT_EQ(fromVariant(toVariant(ParamValue(2.5))), ParamValue(2.5));
  ParamValue out;
  EXPECT_TRUE(coerceToSpec(ParamSpec::Float("f", "f", 0.0, 0.0, 10.0), int64_t{3}, &out));
  EXPECT_EQ(out, ParamValue(3.0));
  EXPECT_FALSE(coerceToSpec(ParamSpec::Int("i", "i", 0, 0, 10), 2.5, &out));
}

}  // namespace
}  // namespace atelier::panels
