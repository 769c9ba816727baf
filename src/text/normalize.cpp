// The normalised view: NFKC by segments, ignorables dropped, homoglyphs
// folded, with an anchor at every segment so spans map back.
//
// NFKC is not a per-code-point mapping (a base letter and a combining mark
// compose), but ICU can tell where a string splits into pieces that
// normalise independently (hasBoundaryBefore). Each piece is normalised on
// its own and all of its output maps to all of its input, which is what
// makes the way back exact.
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cstring>

#include "text/text.h"

namespace airlock::text {
namespace {

bool is_ascii(std::string_view bytes) {
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  const char* p = bytes.data();
  size_t n = bytes.size();
  uint64_t high = 0;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    high |= word;
  }
  for (; n > 0; ++p, --n) high |= static_cast<unsigned char>(*p);
  return (high & kHighs) == 0;
}

bool is_ignorable(UChar32 c) { return u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT); }

void append_utf8(std::string& out, UChar32 c) {
  char buffer[4];
  int32_t length = 0;
  UBool error = false;
  U8_APPEND(reinterpret_cast<uint8_t*>(buffer), length, 4, c, error);
  if (!error) out.append(buffer, static_cast<size_t>(length));
}

}  // namespace

char32_t fold_homoglyph(char32_t c) {
  // Letters that render like Latin ones in common fonts (Unicode's
  // confusables.txt, restricted to the unambiguous cases).
  switch (c) {
    // Cyrillic lower case
    case 0x0430: return 'a';
    case 0x0435: return 'e';
    case 0x043E: return 'o';
    case 0x0440: return 'p';
    case 0x0441: return 'c';
    case 0x0443: return 'y';
    case 0x0445: return 'x';
    case 0x0455: return 's';
    case 0x0456: return 'i';
    case 0x0458: return 'j';
    case 0x0501: return 'd';
    case 0x051B: return 'q';
    case 0x051D: return 'w';
    // Cyrillic upper case
    case 0x0410: return 'A';
    case 0x0412: return 'B';
    case 0x0415: return 'E';
    case 0x041A: return 'K';
    case 0x041C: return 'M';
    case 0x041D: return 'H';
    case 0x041E: return 'O';
    case 0x0420: return 'P';
    case 0x0421: return 'C';
    case 0x0422: return 'T';
    case 0x0423: return 'Y';
    case 0x0425: return 'X';
    case 0x0405: return 'S';
    case 0x0406: return 'I';
    case 0x0408: return 'J';
    // Greek
    case 0x0391: return 'A';
    case 0x0392: return 'B';
    case 0x0395: return 'E';
    case 0x0396: return 'Z';
    case 0x0397: return 'H';
    case 0x0399: return 'I';
    case 0x039A: return 'K';
    case 0x039C: return 'M';
    case 0x039D: return 'N';
    case 0x039F: return 'O';
    case 0x03A1: return 'P';
    case 0x03A4: return 'T';
    case 0x03A5: return 'Y';
    case 0x03A7: return 'X';
    case 0x03BF: return 'o';
    case 0x03B9: return 'i';
    case 0x03BD: return 'v';
    case 0x03C1: return 'p';
    // Armenian
    case 0x0585: return 'o';
    case 0x0578: return 'n';
    case 0x057D: return 'u';
    default: return 0;
  }
}

struct Normalizer::Impl {
  const icu::Normalizer2* nfkc = nullptr;

  // Whether the view differs from the original at all.
  bool needs_work(std::string_view original) const {
    int32_t i = 0;
    const auto* bytes = reinterpret_cast<const uint8_t*>(original.data());
    const auto length = static_cast<int32_t>(original.size());
    while (i < length) {
      UChar32 c;
      U8_NEXT(bytes, i, length, c);
      if (c < 0x80) continue;
      if (c < 0 || is_ignorable(c) || fold_homoglyph(static_cast<char32_t>(c))) return true;
    }
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString wide = icu::UnicodeString::fromUTF8(icu::StringPiece(original.data(), length));
    return nfkc->quickCheck(wide, status) != UNORM_YES || U_FAILURE(status);
  }

  // Appends the view of one segment (its ignorables already left out).
  Status flush(const icu::UnicodeString& segment, std::string& out) const {
    if (segment.isEmpty()) return ok_status();
    if (segment.length() == 1 && segment.charAt(0) < 0x80) {
      out += static_cast<char>(segment.charAt(0));
      return ok_status();
    }
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString normalised = nfkc->normalize(segment, status);
    if (U_FAILURE(status)) return input_error(std::string("normalisation failed: ") + u_errorName(status));
    for (int32_t i = 0; i < normalised.length();) {
      UChar32 c = normalised.char32At(i);
      i += U16_LENGTH(c);
      if (is_ignorable(c)) continue;  // NFKC can produce some (e.g. from compatibility forms)
      char32_t folded = fold_homoglyph(static_cast<char32_t>(c));
      append_utf8(out, folded ? static_cast<UChar32>(folded) : c);
    }
    return ok_status();
  }
};

Result<std::unique_ptr<Normalizer>> Normalizer::create() {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  if (U_FAILURE(status) || !nfkc) {
    return internal_error(std::string("cannot load ICU NFKC data: ") + u_errorName(status));
  }
  std::unique_ptr<Normalizer> normalizer(new Normalizer());
  normalizer->impl_ = std::make_unique<Impl>();
  normalizer->impl_->nfkc = nfkc;
  return normalizer;
}

Normalizer::~Normalizer() = default;

Status Normalizer::normalize(std::string_view original, NormalizedText& out) const {
  out.original_ = original;
  out.text_.clear();
  out.anchors_.clear();
  out.identity_ = true;
  if (is_ascii(original) || !impl_->needs_work(original)) return ok_status();
  if (original.size() > UINT32_MAX / (kMaxExpansion + 1)) return input_error("string too long to normalise");
  out.identity_ = false;
  const size_t limit = kMaxExpansion * original.size() + 64;

  const auto* bytes = reinterpret_cast<const uint8_t*>(original.data());
  const auto length = static_cast<int32_t>(original.size());
  icu::UnicodeString segment;
  int32_t segment_start = 0;
  int32_t i = 0;
  while (i < length) {
    int32_t start = i;
    UChar32 c;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) c = 0xFFFD;  // unreachable for valid UTF-8; keeps the map sound
    if (start > segment_start && (c < 0x80 || impl_->nfkc->hasBoundaryBefore(c))) {
      out.anchors_.emplace_back(static_cast<uint32_t>(out.text_.size()), static_cast<uint32_t>(segment_start));
      Status flushed = impl_->flush(segment, out.text_);
      if (!flushed.ok()) return flushed;
      if (out.text_.size() > limit) return input_error("normalize_limit: the normalised text grows past the limit");
      segment.remove();
      segment_start = start;
    }
    if (!is_ignorable(c)) segment.append(c);
  }
  out.anchors_.emplace_back(static_cast<uint32_t>(out.text_.size()), static_cast<uint32_t>(segment_start));
  Status flushed = impl_->flush(segment, out.text_);
  if (!flushed.ok()) return flushed;
  if (out.text_.size() > limit) return input_error("normalize_limit: the normalised text grows past the limit");
  out.anchors_.emplace_back(static_cast<uint32_t>(out.text_.size()), static_cast<uint32_t>(original.size()));
  return ok_status();
}

std::pair<size_t, size_t> NormalizedText::to_original(size_t begin, size_t end) const {
  if (identity_) return {begin, end};
  using Anchor = std::pair<uint32_t, uint32_t>;
  // Start: the last segment starting at or before `begin` (past any segment
  // that produced nothing, such as a lone zero-width space).
  auto first = std::upper_bound(anchors_.begin(), anchors_.end(), begin,
                                [](size_t offset, const Anchor& a) { return offset < a.first; });
  size_t original_begin = first == anchors_.begin() ? 0 : std::prev(first)->second;
  // End: the first segment boundary at or after `end`, so the span stops
  // right after the last segment that contributed.
  auto last = std::lower_bound(anchors_.begin(), anchors_.end(), end,
                               [](const Anchor& a, size_t offset) { return a.first < offset; });
  size_t original_end = last == anchors_.end() ? original_.size() : last->second;
  return {original_begin, std::max(original_begin, original_end)};
}

size_t code_points_before(std::string_view utf8, size_t byte_offset) {
  size_t count = 0;
  size_t n = std::min(byte_offset, utf8.size());
  for (size_t i = 0; i < n; ++i) count += (static_cast<unsigned char>(utf8[i]) & 0xC0) != 0x80;
  return count;
}

}  // namespace airlock::text
