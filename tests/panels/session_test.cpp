// Session JSON: save/load round trip, atomic write, validation errors, stage fallback.
#include "panels/session.h"

#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include "panels/param_form.h"
#include "qt_test_app.h"

namespace atelier::panels {
namespace {

Session sample(const QString& dir) {
  Session s;
  s.sources = {dir + "/photo.png", "/elsewhere/clip.mp4"};
  s.stage = "sr.esrgan.v1";
  s.stage_fallbacks = {"sr."};
  s.params["sr.esrgan.v1"] = {{"scale", int64_t{4}}, {"denoise", 0.25}, {"tiles", true},
                              {"model", std::string("rrdn.json")}};
  s.params["sd.txt2img.v1"] = {{"guidance", 7.0}};
  s.window_geometry = QByteArray("\x01\x02geometry", 10);
  s.window_state = QByteArray("\xff\x00state", 7);
  s.view.mode = "zoom";
  s.view.zoom = 2.5;
  s.view.split = 0.4;
  s.view.channel = "g";
  s.view.hud = false;
  return s;
}

TEST(Session, SaveLoadRoundTrip) {
  test::qtApp();
  QTemporaryDir tmp;
  ASSERT_TRUE(tmp.isValid());
  const QString path = tmp.filePath("s.json");
  const Session s = sample(tmp.path());
  QString err;
  ASSERT_TRUE(saveSession(path, s, &err)) << err.toStdString();
  QFile raw(path);
  ASSERT_TRUE(raw.open(QIODevice::ReadOnly));
  EXPECT_TRUE(raw.readAll().contains("\"photo.png\"")) << "sources inside the folder are stored relative";
  Session back;
  ASSERT_TRUE(loadSession(path, &back, &err)) << err.toStdString();
  EXPECT_EQ(back.sources, s.sources);
  EXPECT_EQ(back.stage, s.stage);
  EXPECT_EQ(back.stage_fallbacks, s.stage_fallbacks);
  EXPECT_EQ(back.window_geometry, s.window_geometry);
  EXPECT_EQ(back.window_state, s.window_state);
  EXPECT_EQ(back.view.mode, "zoom");
  EXPECT_DOUBLE_EQ(back.view.zoom, 2.5);
  EXPECT_DOUBLE_EQ(back.view.split, 0.4);
  EXPECT_EQ(back.view.channel, "g");
  EXPECT_FALSE(back.view.hud);
  ASSERT_EQ(back.params.size(), 2u);
  const ParamSet& p = back.params.at("sr.esrgan.v1");
  EXPECT_EQ(p.at("scale"), ParamValue(int64_t{4}));
  EXPECT_EQ(p.at("denoise"), ParamValue(0.25));
  EXPECT_EQ(p.at("tiles"), ParamValue(true));
  EXPECT_EQ(p.at("model"), ParamValue(std::string("rrdn.json")));
  // JSON has one number type: 7.0 comes back as an int; the form coerces it back to the spec's float.
  ParamForm form;
  form.setSpecs({ParamSpec::Float("guidance", "Guidance", 5.0, 0.0, 30.0)});
  form.setValues(back.params.at("sd.txt2img.v1"));
  EXPECT_EQ(form.values().at("guidance"), ParamValue(7.0));
  // Only the session file is left in the folder (no temp files after the atomic write).
  EXPECT_EQ(QDir(tmp.path()).entryList(QDir::Files), QStringList{"s.json"});
}

TEST(Session, OverwriteReplacesWholeFile) {
  test::qtApp();
  QTemporaryDir tmp;
  const QString path = tmp.filePath("s.json");
  QString err;
  Session big = sample(tmp.path());
  for (int i = 0; i < 50; ++i) { big.params["stage" + std::to_string(i)] = {{"x", int64_t{i}}}; }
  ASSERT_TRUE(saveSession(path, big, &err));
  Session small;
  small.stage = "only";
  ASSERT_TRUE(saveSession(path, small, &err));
  Session back;
  ASSERT_TRUE(loadSession(path, &back, &err)) << err.toStdString();
  EXPECT_EQ(back.stage, "only");
  EXPECT_TRUE(back.params.empty());
}

TEST(Session, ErrorsNameTheFileAndProblem) {
  test::qtApp();
  QTemporaryDir tmp;
  QString err;
  Session s;
  EXPECT_FALSE(loadSession(tmp.filePath("missing.json"), &s, &err));
  EXPECT_TRUE(err.contains("missing.json")) << err.toStdString();
  auto write = [&](const QString& name, const QByteArray& text) {
    QFile f(tmp.filePath(name));
    EXPECT_TRUE(f.open(QIODevice::WriteOnly));
    f.write(text);
    return tmp.filePath(name);
  };
  EXPECT_FALSE(loadSession(write("bad.json", "{not json"), &s, &err));
  EXPECT_TRUE(err.contains("bad.json"));
  EXPECT_FALSE(loadSession(write("v9.json", "{\"version\": 9}"), &s, &err));
  EXPECT_TRUE(err.contains("version 9")) << err.toStdString();
  EXPECT_FALSE(loadSession(write("src.json", "{\"version\": 1, \"sources\": 3}"), &s, &err));
  EXPECT_TRUE(err.contains("sources")) << err.toStdString();
  EXPECT_FALSE(loadSession(write("p.json", "{\"version\": 1, \"params\": {\"a\": 1}}"), &s, &err));
  EXPECT_TRUE(err.contains("'a'")) << err.toStdString();
  EXPECT_FALSE(saveSession(tmp.filePath("no/such/dir/s.json"), Session{}, &err));
  EXPECT_TRUE(err.contains("s.json"));
}

TEST(Session, ChooseStageFallsBackByPrefix) {
  Session s;
  s.stage = "sr.esrgan.v9";
  s.stage_fallbacks = {"sr.", "sd."};
  EXPECT_EQ(chooseStage(s, {"ctta.tent.v1", "sr.esrgan.v9"}), "sr.esrgan.v9");
  EXPECT_EQ(chooseStage(s, {"ctta.tent.v1", "sd.txt2img.v1", "sr.rdn.v1"}), "sr.rdn.v1");
  EXPECT_EQ(chooseStage(s, {"ctta.tent.v1"}), "");
}

TEST(Session, DefaultSessionAssetLoads) {
  test::qtApp();
  Session s;
  QString err;
  const QString path = QString(ATELIER_SOURCE_DIR) + "/assets/session/default.json";
  ASSERT_TRUE(loadSession(path, &s, &err)) << err.toStdString();
  ASSERT_FALSE(s.sources.isEmpty());
  EXPECT_TRUE(QFile::exists(s.sources.front())) << s.sources.front().toStdString();
  EXPECT_TRUE(s.stage.startsWith("sr.") || s.stage_fallbacks.contains("sr."));
}

}  // namespace
}  // namespace atelier::panels
