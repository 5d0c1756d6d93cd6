#include "edit/token_align.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace atelier::edit {
namespace {
constexpr int64_t kLen = 77;

// Token positions per word: result[w] = positions of word w (1-based, BOS at 0).
std::vector<std::vector<int64_t>> wordSpans(const std::vector<std::string>& words, const TokenizeFn& tok) {
  std::vector<std::vector<int64_t>> spans;
  int64_t pos = 1;
  for (const auto& w : words) {
    std::vector<int64_t> s;
    const auto n = static_cast<int64_t>(tok(w).size());
    for (int64_t k = 0; k < n; ++k, ++pos) {
      if (pos < kLen - 1) { s.push_back(pos); }
    }
    spans.push_back(std::move(s));
  }
  return spans;
}
}  // namespace

std::vector<std::string> splitWords(const std::string& prompt) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : prompt) {
    if (c == ' ') {
      if (!cur.empty()) { out.push_back(cur); }
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) { out.push_back(cur); }
  return out;
}

std::vector<int64_t> wordTokenPositions(const std::string& prompt, const std::string& word, int word_index,
                                        const TokenizeFn& tok) {
  const auto words = splitWords(prompt);
  const auto spans = wordSpans(words, tok);
  std::vector<int64_t> out;
  for (size_t i = 0; i < words.size(); ++i) {
    if ((word_index >= 0 && static_cast<int>(i) == word_index) || (word_index < 0 && words[i] == word)) {
      out.insert(out.end(), spans[i].begin(), spans[i].end());
    }
  }
  return out;
}

at::Tensor replacementMapper(const std::string& src, const std::string& tgt, const TokenizeFn& tok,
                             std::string* error) {
  const auto ws = splitWords(src), wt = splitWords(tgt);
  if (ws.size() != wt.size()) {
    if (error) {
      *error = "word swap needs prompts with the same number of words (" + std::to_string(ws.size()) + " vs " +
               std::to_string(wt.size()) + "); use refine mode";
    }
    return {};
  }
  const auto ss = wordSpans(ws, tok), st = wordSpans(wt, tok);
  at::Tensor m = at::zeros({kLen, kLen});
  auto acc = m.accessor<float, 2>();
  // Token-level walk as ptp's get_replacement_mapper_: changed words map span → span, others 1:1.
  int64_t i = 0, j = 0;
  size_t w = 0;
  while (i < kLen && j < kLen) {
    // advance w to the word containing source position i
    while (w < ws.size() && (ss[w].empty() || ss[w].back() < i)) { ++w; }
    if (w < ws.size() && !ss[w].empty() && ss[w].front() == i && ws[w] != wt[w]) {
      const auto& a = ss[w];
      const auto& b = st[w];
      if (a.size() == b.size()) {
        for (size_t k = 0; k < a.size(); ++k) { acc[a[k]][b[k]] = 1.f; }
      } else {
        for (int64_t ia : a) {
          for (int64_t jb : b) { acc[ia][jb] = 1.f / static_cast<float>(b.size()); }
        }
      }
      i += static_cast<int64_t>(a.size());
      j += static_cast<int64_t>(b.size());
      if (a.empty() && b.empty()) { ++i; ++j; }
    } else {
      acc[i][j] = 1.f;
      ++i;
      ++j;
    }
  }
  return m;
}

void refinementMapper(const std::vector<int64_t>& x, const std::vector<int64_t>& y, at::Tensor* mapper,
                      at::Tensor* alphas) {
  const size_t nx = x.size(), ny = y.size();
  std::vector<std::vector<int>> score(nx + 1, std::vector<int>(ny + 1, 0));
  std::vector<std::vector<int>> trace(nx + 1, std::vector<int>(ny + 1, 0));
  for (size_t j = 1; j <= ny; ++j) { trace[0][j] = 1; }
  for (size_t i = 1; i <= nx; ++i) { trace[i][0] = 2; }
  trace[0][0] = 4;
  for (size_t i = 1; i <= nx; ++i) {
    for (size_t j = 1; j <= ny; ++j) {
      const int left = score[i][j - 1], up = score[i - 1][j];
      const int diag = score[i - 1][j - 1] + (x[i - 1] == y[j - 1] ? 1 : -1);
      score[i][j] = std::max({left, up, diag});
      trace[i][j] = score[i][j] == left ? 1 : score[i][j] == up ? 2 : 3;
    }
  }
  std::vector<std::pair<int64_t, int64_t>> y_to_x;   // (target index, source index or -1)
  size_t i = nx, j = ny;
  while (i > 0 || j > 0) {
    const int tb = trace[i][j];
    if (tb == 3) {
      --i; --j;
      y_to_x.emplace_back(static_cast<int64_t>(j), static_cast<int64_t>(i));
    } else if (tb == 1) {
      --j;
      y_to_x.emplace_back(static_cast<int64_t>(j), -1);
    } else if (tb == 2) {
      --i;
    } else {
      break;
    }
  }
  std::reverse(y_to_x.begin(), y_to_x.end());
  *mapper = at::zeros({kLen}, at::kLong);
  *alphas = at::ones({kLen});
  auto ma = mapper->accessor<int64_t, 1>();
  auto aa = alphas->accessor<float, 1>();
  const auto nb = static_cast<int64_t>(std::min<size_t>(y_to_x.size(), kLen));
  for (int64_t k = 0; k < nb; ++k) {
    const int64_t src = y_to_x[k].second;
    aa[k] = src == -1 ? 0.f : 1.f;
    ma[k] = src == -1 ? kLen - 1 : src;   // ptp indexes -1 (the last token) with alpha 0
  }
  for (int64_t k = nb; k < kLen; ++k) { ma[k] = std::min<int64_t>(static_cast<int64_t>(ny) + (k - nb), kLen - 1); }
}

}  // namespace atelier::edit
