// Unit tests for the CLIP tokenizer on a synthetic byte-level vocabulary (no shared data needed).
#include <gtest/gtest.h>

#include "sd/tokenizer.h"
#include "sd/tokenizer_unicode.h"

namespace atelier::sd {
namespace {

// Byte-level vocabulary: ids 0..255 byte-chars, 256..511 the same + "</w>", then merges, then BOS/EOS.
ClipTokenizer makeTokenizer(const std::string& pad = "<|endoftext|>") {
  std::vector<uint32_t> b2u(256);
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    const bool direct = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    b2u[b] = direct ? b : 256 + n++;
  }
  std::unordered_map<std::string, int64_t> vocab;
  for (int b = 0; b < 256; ++b) {
    std::string s;
    utf8Append(b2u[b], s);
    vocab[s] = b;
    vocab[s + "</w>"] = 256 + b;
  }
  std::vector<std::string> merges = {"c a", "ca t</w>", "d o", "do g</w>"};
  vocab["ca"] = 512;
  vocab["cat</w>"] = 513;
  vocab["do"] = 514;
  vocab["dog</w>"] = 515;
  vocab["<|startoftext|>"] = ClipTokenizer::kBosId;
  vocab["<|endoftext|>"] = ClipTokenizer::kEosId;
  auto t = ClipTokenizer::fromData(vocab, merges, pad, "synthetic");
  EXPECT_TRUE(t.ok()) << t.status().toString();
  return std::move(t).value();
}

TEST(ClipTokenizer, MergesAndEndOfWord) {
  auto t = makeTokenizer();
  EXPECT_EQ(t.encode("cat dog"), (std::vector<int64_t>{513, 515}));
  // "cats": no "cat s</w>" merge: c a → ca, then t, s</w> stay separate.
  EXPECT_EQ(t.encode("cats"), (std::vector<int64_t>{512, 't', 256 + 's'}));
  EXPECT_EQ(t.encode("a"), (std::vector<int64_t>{256 + 'a'}));   // one-character piece → "a</w>"
}

TEST(ClipTokenizer, PaddingTruncationAndEmpty) {
  auto t = makeTokenizer();
  auto empty = t.tokenize("");
  ASSERT_EQ(empty.size(), 77u);
  EXPECT_EQ(empty[0], ClipTokenizer::kBosId);
  EXPECT_EQ(empty[1], ClipTokenizer::kEosId);
  EXPECT_EQ(empty[76], ClipTokenizer::kEosId);
  std::string many;
  for (int i = 0; i < 100; ++i) many += "cat ";
  auto ids = t.tokenize(many);
  ASSERT_EQ(ids.size(), 77u);
  EXPECT_EQ(ids[75], 513);
  EXPECT_EQ(ids[76], ClipTokenizer::kEosId);
  auto sd2 = makeTokenizer("!");
  EXPECT_EQ(sd2.padId(), '!');   // synthetic vocab: byte-characters keep their byte value as id
  EXPECT_EQ(sd2.tokenize("cat")[3], '!');
  EXPECT_EQ(sd2.tokenizeBatch({"cat", "dog"}).sizes(), (std::vector<int64_t>{2, 77}));
}

TEST(ClipTokenizer, CleanupLowercaseAndWhitespace) {
  EXPECT_EQ(utf8Encode(ClipTokenizer::clean("  A\t\n  CAT\u00a0 ")), "a cat");
  EXPECT_EQ(utf8Encode(ClipTokenizer::clean("\xC3\x80\xC3\x89\xCE\xA3")), "\xC3\xA0\xC3\xA9\xCF\x83");   // ÀÉΣ → àéσ
  EXPECT_EQ(utf8Encode(ClipTokenizer::clean("\xC4\xB0")), "i\xCC\x87");   // İ → i + combining dot
  auto t = makeTokenizer();
  EXPECT_EQ(t.encode("CAT   Dog"), t.encode("cat dog"));
}

TEST(ClipTokenizer, PreTokenizerPieces) {
  auto pieces = [](const std::string& s) {
    std::vector<std::string> out;
    for (const auto& p : ClipTokenizer::preTokenize(ClipTokenizer::clean(s))) out.push_back(utf8Encode(p));
    return out;
  };
  EXPECT_EQ(pieces("it's 123"), (std::vector<std::string>{"it", "'s", "1", "2", "3"}));
  EXPECT_EQ(pieces("a,.;:'b"), (std::vector<std::string>{"a", ",.;:'", "b"}));
  EXPECT_EQ(pieces("caf\xC3\xA9 \xE6\x9D\xB1\xE4\xBA\xAC!"),
            (std::vector<std::string>{"caf\xC3\xA9", "\xE6\x9D\xB1\xE4\xBA\xAC", "!"}));
  EXPECT_EQ(pieces("x<|endoftext|>"), (std::vector<std::string>{"x", "<|endoftext|>"}));
  auto t = makeTokenizer();
  EXPECT_EQ(t.encode("<|endoftext|>"), (std::vector<int64_t>{ClipTokenizer::kEosId}));
}

TEST(ClipTokenizer, UnicodeTablesAndInvalidUtf8) {
  EXPECT_TRUE(unicode::isLetter(U'a'));
  EXPECT_TRUE(unicode::isLetter(0x6771));    // 東
  EXPECT_FALSE(unicode::isLetter(U'1'));
  EXPECT_TRUE(unicode::isNumber(U'7'));
  EXPECT_TRUE(unicode::isNumber(0x00BD));    // ½ (No)
  EXPECT_FALSE(unicode::isNumber(U','));
  EXPECT_TRUE(unicode::isWhitespace(0x3000));
  EXPECT_EQ(utf8Decode("a\xFF" "b"), (std::u32string{U'a', 0xFFFD, U'b'}));
  EXPECT_EQ(utf8Decode("\xE6\x9D"), (std::u32string{0xFFFD, 0xFFFD}));   // truncated sequence
  auto t = makeTokenizer();
  EXPECT_FALSE(t.encode("bad \xFF byte").empty());
}

TEST(ClipTokenizer, MissingFolderNamesFile) {
  auto r = ClipTokenizer::fromFolder("/nonexistent/tokenizer");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent/tokenizer/vocab.json"), std::string::npos);
  std::unordered_map<std::string, int64_t> vocab{{"a", 0}};
  auto bad_pad = ClipTokenizer::fromData(vocab, {}, "<pad>", "v.json");
  ASSERT_FALSE(bad_pad.ok());
  EXPECT_NE(bad_pad.status().message().find("<pad>"), std::string::npos);
}

}  // namespace
}  // namespace atelier::sd
