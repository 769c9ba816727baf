// The pre-tokenizers of o200k_base and cl100k_base, written by hand.
//
// tiktoken splits text with a regular expression before byte-pair merging;
// those expressions use a lookahead (`\s+(?!\S)`), which RE2 does not have,
// so each alternative is matched here as the backtracking engine would match
// it, alternative by alternative in order. Character classes follow
// JavaScript's definitions (js-tiktoken is the reference the golden fixtures
// come from): \s is JavaScript's white space, \p{..} come from ICU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokens/tokens.h"

namespace airlock::tokens::internal {

// Calls `piece(std::string_view)` for each piece of `utf8`, in order; the
// pieces cover the text exactly. Invalid UTF-8 is not rejected: each byte of
// an invalid sequence counts as one character that is neither a letter, a
// number nor a space (as U+FFFD would be), so the count stays defined.
class PreTokenizer {
 public:
  explicit PreTokenizer(Encoding encoding) : encoding_(encoding) {}

  template <typename OnPiece>
  void split(std::string_view utf8, OnPiece&& piece) {
    while (utf8.size() > kMaxSegment) {
      size_t cut = segment_end(utf8);
      split_segment(utf8.substr(0, cut), piece);
      utf8.remove_prefix(cut);
    }
    split_segment(utf8, piece);
  }

  // Offsets are 32-bit to keep the buffers at 6 bytes a character, so a
  // text over 1 GiB (longer than any line airlock reads) is split at a line
  // break, or a character boundary, before that: the one case where a count
  // may differ from tiktoken's, by a token at the cut.
  static constexpr size_t kMaxSegment = size_t{1} << 30;

 private:
  template <typename OnPiece>
  void split_segment(std::string_view utf8, OnPiece& piece) {
    decode(utf8);
    size_t n = classes_.size();
    for (size_t i = 0; i < n;) {
      size_t end = encoding_ == Encoding::kO200kBase ? match_o200k(i) : match_cl100k(i);
      piece(utf8.substr(offsets_[i], offsets_[end] - offsets_[i]));
      i = end;
    }
    release_if_large();
  }
  static size_t segment_end(std::string_view utf8);
  void decode(std::string_view utf8);
  // The buffers take 6 bytes a character and live as long as the thread:
  // after an unusually long text, give the memory back.
  void release_if_large();
  size_t match_o200k(size_t i) const;
  size_t match_cl100k(size_t i) const;
  size_t match_punctuation(size_t i, bool slash_after) const;
  size_t match_whitespace(size_t i) const;
  size_t contraction(size_t i) const;
  size_t run(size_t i, unsigned mask) const;

  Encoding encoding_;
  std::vector<unsigned char> classes_;  // per code point, CharClass bits
  std::vector<char> ascii_;             // per code point: itself when ASCII, else 0
  std::vector<uint32_t> offsets_;       // byte offset of each code point, plus the end
};

}  // namespace airlock::tokens::internal
