// Hand-written pre-tokenizers for o200k_base and cl100k_base (see pretokenize.h).
//
// The patterns, as js-tiktoken 1.0.21 ships them (both with the `u` flag):
//
// cl100k_base:
//   ('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)
//   |[^\r\n\p{L}\p{N}]?\p{L}+ |\p{N}{1,3} | ?[^\s\p{L}\p{N}]+[\r\n]*
//   |\s*[\r\n]+ |\s+(?!\S) |\s+
// o200k_base:
//   [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(CONTRACTION)?
//   |[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(CONTRACTION)?
//   |\p{N}{1,3} | ?[^\s\p{L}\p{N}]+[\r\n/]* |\s*[\r\n]+ |\s+(?!\S) |\s+
//
// ranks.cpp checks that the embedded rank files carry exactly these
// patterns, so a changed encoding cannot slip past this hand translation.
#include "tokens/pretokenize.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <array>

namespace airlock::tokens::internal {
namespace {

enum CharClass : unsigned char {
  kLetter = 1,     // \p{L}
  kNumber = 2,     // \p{N}
  kSpace = 4,      // JavaScript's \s
  kUpperish = 8,   // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
  kLowerish = 16,  // [\p{Ll}\p{Lm}\p{Lo}\p{M}]
  kCrLf = 32,      // [\r\n]
};

// JavaScript's \s: WhiteSpace (TAB, VT, FF, SP, NBSP, ZWNBSP, Zs) and
// LineTerminator (LF, CR, LS, PS). Unlike Unicode's White_Space, which the
// Rust tiktoken uses, it has U+FEFF and lacks U+0085.
bool is_js_space(UChar32 c) {
  return (c >= 0x09 && c <= 0x0d) || c == 0xfeff || c == 0x2028 || c == 0x2029 || u_charType(c) == U_SPACE_SEPARATOR;
}

unsigned char classify(UChar32 c) {
  unsigned char bits = 0;
  switch (u_charType(c)) {
    case U_UPPERCASE_LETTER:
    case U_TITLECASE_LETTER:
      bits = kLetter | kUpperish;
      break;
    case U_LOWERCASE_LETTER:
      bits = kLetter | kLowerish;
      break;
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
      bits = kLetter | kUpperish | kLowerish;
      break;
    case U_NON_SPACING_MARK:
    case U_ENCLOSING_MARK:
    case U_COMBINING_SPACING_MARK:
      bits = kUpperish | kLowerish;
      break;
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      bits = kNumber;
      break;
    default:
      break;
  }
  if (is_js_space(c)) bits |= kSpace;
  if (c == '\r' || c == '\n') bits |= kCrLf;
  return bits;
}

// The Basic Multilingual Plane's classes, computed once: u_charType per
// character would cost more than the rest of the pre-tokenizer.
const std::array<unsigned char, 0x10000>& bmp_classes() {
  static const auto table = [] {
    std::array<unsigned char, 0x10000> t{};
    for (UChar32 c = 0; c < 0x10000; ++c) t[c] = classify(c);
    return t;
  }();
  return table;
}

// Decodes one UTF-8 sequence at `s[i]`; returns its length, or 0 when it is
// not a valid, shortest-form sequence of a scalar value.
size_t decode_one(std::string_view s, size_t i, char32_t& out) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    out = b0;
    return 1;
  }
  size_t length = b0 >= 0xf0 ? 4 : b0 >= 0xe0 ? 3 : b0 >= 0xc2 ? 2 : 0;
  if (length == 0 || b0 > 0xf4 || i + length > s.size()) return 0;
  char32_t c = b0 & (0x3f >> (length - 1));
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    c = (c << 6) | (byte(i + k) & 0x3f);
  }
  static constexpr char32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < kMinimum[length] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
  out = c;
  return length;
}

bool ascii_lower_is(char c, char lower) { return c == lower || c == lower - 32; }

}  // namespace

void PreTokenizer::decode(std::string_view utf8) {
  const auto& bmp = bmp_classes();
  classes_.clear();
  ascii_.clear();
  offsets_.clear();
  for (size_t i = 0; i < utf8.size();) {
    char32_t c = 0xfffd;
    size_t length = decode_one(utf8, i, c);
    if (length == 0) {
      c = 0xfffd;  // one invalid byte: a "character" of U+FFFD's class
      length = 1;
    }
    offsets_.push_back(static_cast<uint32_t>(i));
    ascii_.push_back(c < 0x80 ? static_cast<char>(c) : 0);
    classes_.push_back(c < 0x10000 ? bmp[c] : classify(static_cast<UChar32>(c)));
    i += length;
  }
  offsets_.push_back(static_cast<uint32_t>(utf8.size()));
}

size_t PreTokenizer::segment_end(std::string_view utf8) {
  size_t newline = utf8.rfind('\n', kMaxSegment - 1);
  if (newline != std::string_view::npos && newline > 0) return newline + 1;
  // Not inside a character: back over at most three continuation bytes.
  size_t cut = kMaxSegment;
  for (int k = 0; k < 3 && (static_cast<unsigned char>(utf8[cut]) & 0xc0) == 0x80; ++k) --cut;
  return cut;
}

void PreTokenizer::release_if_large() {
  constexpr size_t kKeep = 1 << 20;  // characters
  if (classes_.capacity() <= kKeep) return;
  classes_ = {};
  ascii_ = {};
  offsets_ = {};
}

// The end of the run of characters with any of `mask`'s classes from `i`.
size_t PreTokenizer::run(size_t i, unsigned mask) const {
  size_t n = classes_.size();
  while (i < n && (classes_[i] & mask)) ++i;
  return i;
}

// 's 't 're 've 'm 'll 'd in any ASCII case at `i`: its length, or 0.
size_t PreTokenizer::contraction(size_t i) const {
  size_t n = ascii_.size();
  if (i + 1 >= n || ascii_[i] != '\'') return 0;
  char first = ascii_[i + 1];
  for (char c : {'s', 't', 'm', 'd'}) {
    if (ascii_lower_is(first, c)) return 2;
  }
  if (i + 2 >= n) return 0;
  char second = ascii_[i + 2];
  if ((ascii_lower_is(first, 'r') || ascii_lower_is(first, 'v')) && ascii_lower_is(second, 'e')) return 3;
  if (ascii_lower_is(first, 'l') && ascii_lower_is(second, 'l')) return 3;
  return 0;
}

// ` ?[^\s\p{L}\p{N}]+[\r\n]*` (or `[\r\n/]*` with `slash_after`); 0 when it
// does not match.
size_t PreTokenizer::match_punctuation(size_t i, bool slash_after) const {
  size_t n = classes_.size();
  auto is_symbol = [&](size_t k) { return k < n && !(classes_[k] & (kSpace | kLetter | kNumber)); };
  size_t start = ascii_[i] == ' ' && is_symbol(i + 1) ? i + 1 : i;
  if (!is_symbol(start)) return 0;
  size_t end = start;
  while (is_symbol(end)) ++end;
  while (end < n && ((classes_[end] & kCrLf) || (slash_after && ascii_[end] == '/'))) ++end;
  return end;
}

// `\s*[\r\n]+|\s+(?!\S)|\s+` at a white-space character.
size_t PreTokenizer::match_whitespace(size_t i) const {
  size_t end = run(i, kSpace);
  if (end == i) return i + 1;  // unreachable: every other character matched earlier
  // \s*[\r\n]+: the greedy \s* gives back characters until a line break
  // follows, so the match ends just after the run's last \r or \n.
  for (size_t k = end; k > i; --k) {
    if (classes_[k - 1] & kCrLf) return k;
  }
  // \s+(?!\S): all of a run that ends the text; otherwise all but its last
  // character, which then starts the next piece (" word").
  if (end == classes_.size() || end - i == 1) return end;  // the last case is \s+
  return end - 1;
}

size_t PreTokenizer::match_cl100k(size_t i) const {
  if (size_t length = contraction(i)) return i + length;
  unsigned char c = classes_[i];
  if (c & kLetter) return run(i, kLetter);
  bool prefix = !(c & (kCrLf | kLetter | kNumber));
  if (prefix && i + 1 < classes_.size() && (classes_[i + 1] & kLetter)) return run(i + 1, kLetter);
  if (c & kNumber) return std::min(run(i, kNumber), i + 3);
  if (size_t end = match_punctuation(i, false)) return end;
  return match_whitespace(i);
}

size_t PreTokenizer::match_o200k(size_t i) const {
  size_t n = classes_.size();
  unsigned char c = classes_[i];
  bool prefix = !(c & (kCrLf | kLetter | kNumber));
  // The optional prefix is tried taken first, then not taken, for each of
  // the two word alternatives in turn, as a backtracking engine does.
  size_t starts[2] = {i + 1, i};
  size_t options = prefix ? 2 : 1;
  const size_t* first = prefix ? starts : starts + 1;
  // [upper]*[lower]+: the greedy [upper]* gives back characters until one
  // of the lower class can start [lower]+.
  for (size_t o = 0; o < options; ++o) {
    size_t start = first[o];
    size_t upper_end = run(start, kUpperish);
    for (size_t k = upper_end + 1; k > start; --k) {
      if (k - 1 < n && (classes_[k - 1] & kLowerish)) {
        size_t end = run(k - 1, kLowerish);
        return end + contraction(end);
      }
    }
  }
  // [upper]+[lower]*
  for (size_t o = 0; o < options; ++o) {
    size_t start = first[o];
    size_t upper_end = run(start, kUpperish);
    if (upper_end > start) {
      size_t end = run(upper_end, kLowerish);
      return end + contraction(end);
    }
  }
  if (c & kNumber) return std::min(run(i, kNumber), i + 3);
  if (size_t end = match_punctuation(i, true)) return end;
  return match_whitespace(i);
}

}  // namespace airlock::tokens::internal
