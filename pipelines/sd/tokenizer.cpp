// CLIP BPE tokenizer: cleanup, regex pre-tokenizer over code points, byte-level encoding and BPE merges.
#include "sd/tokenizer.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <climits>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sd/tokenizer_unicode.h"

namespace atelier::sd {
namespace {

// GPT-2/CLIP bytes_to_unicode: printable bytes map to themselves, the other 68 to U+0100.. in byte order.
const std::vector<uint32_t>& byteToUnicode() {
  static const std::vector<uint32_t> table = [] {
    std::vector<uint32_t> t(256, 0);
    std::vector<bool> direct(256, false);
    for (int b = 33; b <= 126; ++b) direct[b] = true;
    for (int b = 161; b <= 172; ++b) direct[b] = true;
    for (int b = 174; b <= 255; ++b) direct[b] = true;
    uint32_t n = 0;
    for (int b = 0; b < 256; ++b) t[b] = direct[b] ? static_cast<uint32_t>(b) : 256 + n++;
    return t;
  }();
  return table;
}

Result<std::string> readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::NotFound(path + ": cannot open file");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// pad_token in tokenizer configs is either a string or {"content": "..."}.
std::string tokenString(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_object() && j.contains("content") && j["content"].is_string()) return j["content"].get<std::string>();
  return "";
}

bool startsWith(const std::u32string& s, size_t pos, const char* lit) {
  for (size_t k = 0; lit[k]; ++k) {
    if (pos + k >= s.size() || s[pos + k] != static_cast<uint32_t>(static_cast<unsigned char>(lit[k]))) return false;
  }
  return true;
}

}  // namespace

void utf8Append(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string utf8Encode(const std::u32string& s) {
  std::string out;
  for (uint32_t cp : s) utf8Append(cp, out);
  return out;
}

std::u32string utf8Decode(const std::string& s) {
  std::u32string out;
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) { out.push_back(0xFFFD); ++i; continue; }
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    bool ok = true;
    for (int k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) { ok = false; break; }
      cp = (cp << 6) | (cc & 0x3F);
    }
    const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (!ok || overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) { out.push_back(0xFFFD); ++i; continue; }
    out.push_back(cp);
    i += len;
  }
  return out;
}

std::u32string ClipTokenizer::clean(const std::string& utf8) {
  std::u32string collapsed;
  bool pending_space = false;
  for (uint32_t cp : utf8Decode(utf8)) {
    if (unicode::isWhitespace(cp)) { pending_space = !collapsed.empty(); continue; }
    if (pending_space) { collapsed.push_back(U' '); pending_space = false; }
    unicode::appendLower(cp, collapsed);
  }
  return collapsed;
}

std::vector<std::u32string> ClipTokenizer::preTokenize(const std::u32string& s) {
  static const char* kSpecials[] = {"<|startoftext|>", "<|endoftext|>"};
  static const char* kContractions[] = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};
  std::vector<std::u32string> pieces;
  size_t i = 0;
  auto literalLen = [&](const char* const* lits, size_t n) -> size_t {
    for (size_t k = 0; k < n; ++k) {
      if (startsWith(s, i, lits[k])) return std::char_traits<char>::length(lits[k]);
    }
    return 0;
  };
  while (i < s.size()) {
    const uint32_t cp = s[i];
    if (unicode::isWhitespace(cp)) { ++i; continue; }
    size_t len = literalLen(kSpecials, 2);
    if (len == 0) len = literalLen(kContractions, 7);
    if (len == 0) {
      size_t j = i;
      if (unicode::isLetter(cp)) {
        while (j < s.size() && unicode::isLetter(s[j])) ++j;
      } else if (unicode::isNumber(cp)) {
        j = i + 1;
      } else {
        while (j < s.size() && !unicode::isWhitespace(s[j]) && !unicode::isLetter(s[j]) && !unicode::isNumber(s[j])) ++j;
      }
      len = j - i;
    }
    pieces.push_back(s.substr(i, len));
    i += len;
  }
  return pieces;
}

std::vector<int64_t> ClipTokenizer::bpe(const std::u32string& piece) const {
  const std::string utf8 = utf8Encode(piece);
  if (piece == U"<|startoftext|>") return {kBosId};
  if (piece == U"<|endoftext|>") return {kEosId};
  const auto& table = byteToUnicode();
  std::vector<std::string> syms;
  for (unsigned char b : utf8) {
    std::string sym;
    utf8Append(table[b], sym);
    syms.push_back(std::move(sym));
  }
  if (syms.empty()) return {};
  syms.back() += "</w>";
  while (syms.size() > 1) {
    int best = INT_MAX;
    size_t best_at = 0;
    for (size_t k = 0; k + 1 < syms.size(); ++k) {
      auto it = ranks_.find(syms[k] + " " + syms[k + 1]);
      if (it != ranks_.end() && it->second < best) { best = it->second; best_at = k; }
    }
    if (best == INT_MAX) break;
    const std::string left = syms[best_at], right = syms[best_at + 1];
    std::vector<std::string> merged;
    for (size_t k = 0; k < syms.size();) {
      if (k + 1 < syms.size() && syms[k] == left && syms[k + 1] == right) {
        merged.push_back(left + right);
        k += 2;
      } else {
        merged.push_back(syms[k++]);
      }
    }
    syms.swap(merged);
  }
  std::vector<int64_t> ids;
  for (const auto& sym : syms) {
    auto it = vocab_.find(sym);
    if (it != vocab_.end()) { ids.push_back(it->second); continue; }
    // Not in the vocabulary (custom vocab): fall back to one id per byte-character.
    for (uint32_t cp : utf8Decode(sym)) {
      std::string one;
      utf8Append(cp, one);
      auto bit = vocab_.find(one);
      if (bit != vocab_.end()) ids.push_back(bit->second);
    }
  }
  return ids;
}

std::vector<int64_t> ClipTokenizer::encode(const std::string& text) const {
  std::vector<int64_t> ids;
  for (const auto& piece : preTokenize(clean(text))) {
    auto p = bpe(piece);
    ids.insert(ids.end(), p.begin(), p.end());
  }
  return ids;
}

std::vector<int64_t> ClipTokenizer::tokenize(const std::string& text) const {
  std::vector<int64_t> body = encode(text);
  if (body.size() > static_cast<size_t>(kMaxLength - 2)) body.resize(kMaxLength - 2);
  std::vector<int64_t> ids;
  ids.reserve(kMaxLength);
  ids.push_back(kBosId);
  ids.insert(ids.end(), body.begin(), body.end());
  ids.push_back(kEosId);
  while (ids.size() < static_cast<size_t>(kMaxLength)) ids.push_back(pad_id_);
  return ids;
}

at::Tensor ClipTokenizer::tokenizeBatch(const std::vector<std::string>& texts) const {
  at::Tensor out = at::empty({static_cast<int64_t>(texts.size()), kMaxLength}, at::kLong);
  auto* p = out.data_ptr<int64_t>();
  for (size_t b = 0; b < texts.size(); ++b) {
    auto ids = tokenize(texts[b]);
    std::copy(ids.begin(), ids.end(), p + b * kMaxLength);
  }
  return out;
}

Result<ClipTokenizer> ClipTokenizer::fromData(std::unordered_map<std::string, int64_t> vocab,
                                              const std::vector<std::string>& merges, const std::string& pad_token,
                                              const std::string& label) {
  ClipTokenizer t;
  t.vocab_ = std::move(vocab);
  for (size_t r = 0; r < merges.size(); ++r) t.ranks_.emplace(merges[r], static_cast<int>(r));
  auto it = t.vocab_.find(pad_token);
  if (it == t.vocab_.end()) return Status::Corruption(label + ": pad token '" + pad_token + "' is not in the vocabulary");
  t.pad_token_ = pad_token;
  t.pad_id_ = it->second;
  return t;
}

Result<ClipTokenizer> ClipTokenizer::withPadToken(const std::string& pad_token) const {
  auto it = vocab_.find(pad_token);
  if (it == vocab_.end()) return Status::InvalidArgument("pad token '" + pad_token + "' is not in the vocabulary");
  ClipTokenizer t = *this;
  t.pad_token_ = pad_token;
  t.pad_id_ = it->second;
  return t;
}

Result<ClipTokenizer> ClipTokenizer::fromFolder(const std::string& dir) {
  const std::string vocab_path = dir + "/vocab.json", merges_path = dir + "/merges.txt";
  ATELIER_ASSIGN_OR_RETURN(std::string vocab_text, readFile(vocab_path));
  std::unordered_map<std::string, int64_t> vocab;
  try {
    auto j = nlohmann::json::parse(vocab_text);
    if (!j.is_object()) return Status::Corruption(vocab_path + ": expected a JSON object token → id");
    for (auto& [k, v] : j.items()) {
      if (!v.is_number_integer()) return Status::Corruption(vocab_path + ": id of '" + k + "' is not an integer");
      vocab.emplace(k, v.get<int64_t>());
    }
  } catch (const std::exception& e) {
    return Status::Corruption(vocab_path + ": invalid JSON: " + e.what());
  }
  ATELIER_ASSIGN_OR_RETURN(std::string merges_text, readFile(merges_path));
  std::vector<std::string> merges;
  std::istringstream ms(merges_text);
  std::string line;
  int line_no = 0;
  while (std::getline(ms, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (line_no == 1 && line.rfind("#version", 0) == 0)) continue;
    if (std::count(line.begin(), line.end(), ' ') != 1) {
      return Status::Corruption(merges_path + ": line " + std::to_string(line_no) + " is not 'left right'");
    }
    merges.push_back(line);
  }
  // CLIP uses the first vocab_size - 512 - 2 merges (the rest never form vocabulary tokens).
  if (vocab.size() > 514 && merges.size() > vocab.size() - 514) merges.resize(vocab.size() - 514);
  // transformers applies special_tokens_map.json over tokenizer_config.json (SD 2.x folders: "<|endoftext|>" in
  // tokenizer_config.json, the effective "!" in special_tokens_map.json), so it is read last.
  std::string pad = "<|endoftext|>";
  for (const char* name : {"tokenizer_config.json", "special_tokens_map.json"}) {
    auto text = readFile(dir + "/" + name);
    if (!text.ok()) continue;
    try {
      auto j = nlohmann::json::parse(text.value());
      if (j.is_object() && j.contains("pad_token")) {
        std::string p = tokenString(j["pad_token"]);
        if (!p.empty()) pad = p;
      }
    } catch (const std::exception& e) {
      return Status::Corruption(dir + "/" + name + ": invalid JSON: " + e.what());
    }
  }
  return fromData(std::move(vocab), merges, pad, vocab_path);
}

}  // namespace atelier::sd
