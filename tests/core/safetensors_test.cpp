// safetensors: round trip of every dtype, zero-copy, and a corpus of malformed files.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "atelier/safetensors.h"
#include "support/numeric.h"

namespace atelier {
namespace {

std::string header(const std::string& json, const std::string& data = "") {
  std::string out;
  uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) { out.push_back(static_cast<char>((n >> (8 * i)) & 0xff)); }
  return out + json + data;
}

Status parseError(const std::string& bytes) {
  auto r = SafetensorsFile::fromBytes(bytes, "bad.safetensors");
  return r.ok() ? Status::Ok() : r.status();
}

TEST(Safetensors, RoundTripEveryDtype) {
  TensorMap m;
  m["f32"] = at::randn({3, 4});
  m["f64"] = at::randn({2, 2}, at::kDouble);
  m["f16"] = at::randn({5}).to(at::kHalf);
  m["bf16"] = at::randn({2, 3}).to(at::kBFloat16);
  m["i64"] = at::arange(7, at::kLong);
  m["i32"] = at::arange(6, at::kInt).reshape({2, 3});
  m["i16"] = at::arange(4, at::kShort);
  m["i8"] = at::arange(-4, 4, at::kChar);
  m["u8"] = at::arange(0, 250, 10, at::kByte);
  m["bool"] = at::tensor({1, 0, 1}, at::kByte).to(at::kBool);
  m["scalar"] = at::tensor(3.5f).reshape({});
  m["empty"] = at::empty({0, 3});
  auto bytes = serializeSafetensors(m, {{"format", "pt"}, {"note", "ünïcode"}});
  ASSERT_TRUE(bytes.ok()) << bytes.status().toString();
  EXPECT_EQ((bytes.value().size()), bytes.value().size());
  auto f = SafetensorsFile::fromBytes(bytes.value(), "mem");
  ASSERT_TRUE(f.ok()) << f.status().toString();
  EXPECT_EQ(f.value()->metadata().at("note"), "ünïcode");
  auto all = f.value()->all();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all.value().size(), m.size());
  for (const auto& [name, t] : m) {
    const auto& got = all.value().at(name);
    EXPECT_EQ(got.scalar_type(), t.scalar_type()) << name;
    EXPECT_TRUE(got.sizes().equals(t.sizes())) << name;
    EXPECT_TRUE(at::equal(got, t)) << name;
  }
}

TEST(Safetensors, FileRoundTripIsZeroCopyAndAtomic) {
  auto dir = std::filesystem::temp_directory_path() / "atelier_st_test";
  std::filesystem::create_directories(dir);
  auto path = (dir / "a.safetensors").string();
  TensorMap m{{"w", at::randn({64, 64})}, {"b", at::randn({64})}};
  ASSERT_TRUE(saveSafetensors(path, m).ok());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp." + std::to_string(::getpid())));
  auto f = SafetensorsFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().toString();
  auto w = f.value()->tensor("w");
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(at::equal(w.value(), m["w"]));
  const auto* base = reinterpret_cast<const char*>(w.value().data_ptr());
  (void)base;
  // The tensor keeps the mapping alive after the file object is released.
  at::Tensor keep = w.value();
  f = Status::Internal("released");
  EXPECT_TRUE(at::equal(keep, m["w"]));
  keep.add_(1);   // copy-on-write mapping: in-place ops are allowed and do not touch the file
  auto again = loadSafetensors(path);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(at::equal(again.value().at("w"), m["w"]));
  auto missing = SafetensorsFile::open((dir / "nope.safetensors").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.safetensors"), std::string::npos);
}

struct BadCase { const char* what; std::string bytes; const char* expect; };

TEST(Safetensors, MalformedFilesAreRejectedWithTheRightMessage) {
  std::string ok_json = R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  std::vector<BadCase> cases = {
      {"too short", "abc", "too short"},
      {"truncated header", header(ok_json).substr(0, 20), "runs past the end"},
      {"length overflow", std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + "{}", "exceeds the 100 MiB"},
      {"bad json", header("{\"t\": [1,2", std::string(8, '\0')), "not valid JSON"},
      {"not an object", header("[1,2,3]"), "not an object"},
      {"offsets past EOF", header(ok_json, std::string(4, '\0')), "run past the end of the data"},
      {"overlap", header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                         R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", std::string(12, '\0')),
       "overlap"},
      {"shape/size mismatch", header(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                                     std::string(8, '\0')), "shape × dtype size"},
      {"unknown dtype", header(R"({"t":{"dtype":"F13","shape":[2],"data_offsets":[0,8]}})", std::string(8, '\0')),
       "unknown dtype 'F13'"},
      {"negative shape", header(R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", std::string(8, '\0')),
       "non-negative"},
      {"begin > end", header(R"({"t":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", std::string(8, '\0')),
       "begin > end"},
      {"metadata not string", header(R"({"__metadata__":{"k":1}})"), "is not a string"},
      {"shape overflow", header(R"({"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
                                std::string(8, '\0')), "overflows"},
      {"missing dtype", header(R"({"t":{"shape":[2],"data_offsets":[0,8]}})", std::string(8, '\0')), "dtype"},
  };
  for (const auto& c : cases) {
    Status s = parseError(c.bytes);
    ASSERT_FALSE(s.ok()) << c.what;
    EXPECT_EQ(s.code(), StatusCode::kCorruption) << c.what;
    EXPECT_NE(s.message().find(c.expect), std::string::npos) << c.what << ": got '" << s.message() << "'";
    EXPECT_NE(s.message().find("bad.safetensors"), std::string::npos) << c.what;
  }
  // Errors about one tensor name it.
  Status s = parseError(header(R"({"weight.x":{"dtype":"F13","shape":[2],"data_offsets":[0,8]}})",
                               std::string(8, '\0')));
  EXPECT_NE(s.message().find("weight.x"), std::string::npos);
}

TEST(Safetensors, Float8IsReadAsRawBytes) {
  auto f = SafetensorsFile::fromBytes(header(R"({"q":{"dtype":"F8_E4M3","shape":[2,2],"data_offsets":[0,4]}})",
                                             std::string("\x01\x02\x03\x04", 4)), "f8");
  ASSERT_TRUE(f.ok()) << f.status().toString();
  auto t = f.value()->tensor("q").value();
  EXPECT_EQ(t.scalar_type(), at::kByte);
  EXPECT_EQ(t.flatten()[3].item<int>(), 4);
  EXPECT_EQ(f.value()->tensors()[0].dtype, StDType::kF8E4M3);
}

TEST(Safetensors, GoldenUnetListsEveryTensor) {
  ATELIER_REQUIRE_SHARED();
  auto path = test::sharedDir() + "/golden/sd15-tiny/unet/diffusion_pytorch_model.safetensors";
  auto f = SafetensorsFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().toString();
  EXPECT_EQ(f.value()->tensors().size(), 494u);
  ASSERT_NE(f.value()->find("conv_in.weight"), nullptr);
  EXPECT_EQ(f.value()->find("conv_in.weight")->shape, (std::vector<int64_t>{32, 4, 3, 3}));
}

}  // namespace
}  // namespace atelier
