// ParamSpec validation, parsing and resolution.
#include <gtest/gtest.h>

#include "atelier/param.h"
#include "atelier/status.h"

namespace atelier {
namespace {

std::vector<ParamSpec> specs() {
  return {ParamSpec::Int("steps", "Steps", 20, 1, 1000), ParamSpec::Float("cfg", "CFG", 7.5, 0, 30),
          ParamSpec::Choice("sampler", "Sampler", "ddim", {"ddim", "euler", "dpmpp2m"}),
          ParamSpec::Bool("fast", "Fast", false), ParamSpec::Text("prompt", "Prompt", "")};
}

TEST(Param, ResolveFillsDefaultsAndValidates) {
  auto r = resolveParams(specs(), {{"steps", int64_t{30}}, {"cfg", int64_t{5}}});
  ASSERT_TRUE(r.ok()) << r.status().toString();
  EXPECT_EQ(getInt(r.value(), "steps", 0), 30);
  EXPECT_DOUBLE_EQ(getFloat(r.value(), "cfg", 0), 5.0);
  EXPECT_TRUE(std::holds_alternative<double>(r.value().at("cfg")));   // int promoted for float specs
  EXPECT_EQ(getString(r.value(), "sampler", ""), "ddim");
  EXPECT_FALSE(getBool(r.value(), "fast", true));

  auto unknown = resolveParams(specs(), {{"stepz", int64_t{3}}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("stepz"), std::string::npos);
  auto range = resolveParams(specs(), {{"steps", int64_t{0}}});
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.status().message().find("outside [1, 1000]"), std::string::npos);
  auto choice = resolveParams(specs(), {{"sampler", std::string("plms")}});
  ASSERT_FALSE(choice.ok());
  EXPECT_NE(choice.status().message().find("ddim|euler|dpmpp2m"), std::string::npos);
  auto type = resolveParams(specs(), {{"fast", std::string("yes")}});
  EXPECT_FALSE(type.ok());
}

TEST(Param, ParseFromText) {
  auto s = specs();
  EXPECT_EQ(std::get<int64_t>(parseParamValue(s[0], "42").value()), 42);
  EXPECT_FALSE(parseParamValue(s[0], "4x").ok());
  EXPECT_FALSE(parseParamValue(s[0], "").ok());
  EXPECT_DOUBLE_EQ(std::get<double>(parseParamValue(s[1], "2.5").value()), 2.5);
  EXPECT_FALSE(parseParamValue(s[1], "nan").ok());
  EXPECT_FALSE(parseParamValue(s[1], "31").ok());
  EXPECT_TRUE(std::get<bool>(parseParamValue(s[3], "on").value()));
  EXPECT_FALSE(parseParamValue(s[3], "maybe").ok());
  EXPECT_EQ(std::get<std::string>(parseParamValue(s[2], "euler").value()), "euler");
  EXPECT_EQ(paramValueToString(ParamValue(2.5)), "2.5");
}

TEST(Status, CodesMessagesAndContext) {
  Status ok;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.toString(), "OK");
  Status e = Status::Corruption("x.safetensors: bad").withContext("loading unet");
  EXPECT_EQ(e.code(), StatusCode::kCorruption);
  EXPECT_EQ(e.toString(), "Corruption: loading unet: x.safetensors: bad");
  Result<int> r = Status::NotFound("nothing");
  EXPECT_FALSE(r.ok());
  Result<int> v = 3;
  EXPECT_EQ(v.value(), 3);
}

}  // namespace
}  // namespace atelier
