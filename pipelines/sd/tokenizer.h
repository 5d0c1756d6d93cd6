// CLIP byte-level BPE tokenizer (transformers' CLIPTokenizer without ftfy; sd-engine.md §6).
// Thread-safety: immutable after construction; encode/tokenize may run concurrently.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "atelier/status.h"

namespace atelier::sd {

class ClipTokenizer {
 public:
  static constexpr int64_t kBosId = 49406;       // <|startoftext|>
  static constexpr int64_t kEosId = 49407;       // <|endoftext|>
  static constexpr int kMaxLength = 77;

  // Loads <dir>/vocab.json + merges.txt; the pad token comes from special_tokens_map.json, else
  // tokenizer_config.json (transformers' precedence), else "<|endoftext|>". Errors name the file.
  static Result<ClipTokenizer> fromFolder(const std::string& dir);
  // Builds from in-memory vocab (token → id) and merges ("a b" lines, no header); pad_token must be in vocab.
  static Result<ClipTokenizer> fromData(std::unordered_map<std::string, int64_t> vocab,
                                        const std::vector<std::string>& merges, const std::string& pad_token,
                                        const std::string& label);

  // Cleans, pre-tokenizes and BPE-encodes `text`; no BOS/EOS, no truncation.
  std::vector<int64_t> encode(const std::string& text) const;
  // [BOS] + encode(text)[:75] + [EOS], padded with padId() to 77 ids.
  std::vector<int64_t> tokenize(const std::string& text) const;
  // tokenize() for each prompt: [B,77] int64 CPU tensor.
  at::Tensor tokenizeBatch(const std::vector<std::string>& texts) const;

  // A copy padding with `pad_token` (e.g. "!" for SD 2.x single files); fails when it is not in the vocabulary.
  Result<ClipTokenizer> withPadToken(const std::string& pad_token) const;
  int64_t padId() const { return pad_id_; }
  const std::string& padToken() const { return pad_token_; }

  // Text cleanup: whitespace runs → one space, strip, full Unicode lower-case (ftfy and NFC are not applied).
  static std::u32string clean(const std::string& utf8);
  // CLIP regex pre-tokenizer over code points: specials, 's|'t|'re|'ve|'m|'ll|'d, letter runs, single numbers,
  // other non-space runs.
  static std::vector<std::u32string> preTokenize(const std::u32string& text);

 private:
  std::vector<int64_t> bpe(const std::u32string& piece) const;
  std::unordered_map<std::string, int64_t> vocab_;
  std::unordered_map<std::string, int> ranks_;    // "left right" → merge rank
  std::string pad_token_;
  int64_t pad_id_ = kEosId;
};

// UTF-8 helpers (invalid sequences decode to U+FFFD).
std::u32string utf8Decode(const std::string& s);
std::string utf8Encode(const std::u32string& s);
void utf8Append(uint32_t cp, std::string& out);

}  // namespace atelier::sd
