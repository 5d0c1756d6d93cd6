// Prompt-to-Prompt token maps (google/prompt-to-prompt seq_aligner.py / ptp_utils.get_word_inds), computed from
// per-word token counts so they work with any tokenizer. Positions are in the 77-token sequence (BOS at 0).
// Thread-safety: pure functions.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace atelier::edit {

using TokenizeFn = std::function<std::vector<int64_t>(const std::string&)>;   // ids without BOS/EOS

std::vector<std::string> splitWords(const std::string& prompt);                 // split on single spaces
// Token positions (BOS = 0, so the first word starts at 1) of every word equal to `word`, or of word index
// `word_index` when ≥ 0. Positions past 76 are dropped.
std::vector<int64_t> wordTokenPositions(const std::string& prompt, const std::string& word, int word_index,
                                        const TokenizeFn& tok);
// Word swap (same word count): [77,77] mapper, target map = source map @ mapper; a word split into k target
// tokens gets weight 1/k. Empty result (undefined tensor) and `error` set when the word counts differ.
at::Tensor replacementMapper(const std::string& src, const std::string& tgt, const TokenizeFn& tok,
                             std::string* error);
// Refinement: global alignment (gap 0, match 1, mismatch −1) of the two id sequences (with BOS/EOS).
// mapper [77] int64: source position for each target position; alphas [77] fp32: 1 where aligned, else 0.
void refinementMapper(const std::vector<int64_t>& src_ids, const std::vector<int64_t>& tgt_ids, at::Tensor* mapper,
                      at::Tensor* alphas);

}  // namespace atelier::edit
