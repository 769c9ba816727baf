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

// Default_Ignorable_Code_Point, as ranges (Unicode 15 via ICU 72; a test
// checks the table against ICU's property for every code point). A table
// because the property lookup, per code point, dominated the scan profile.
constexpr std::pair<UChar32, UChar32> kIgnorable[] = {
    {0xAD, 0xAD},     {0x34F, 0x34F},   {0x61C, 0x61C},     {0x115F, 0x1160},   {0x17B4, 0x17B5},   {0x180B, 0x180F},
    {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x206F},   {0x3164, 0x3164},   {0xFE00, 0xFE0F},   {0xFEFF, 0xFEFF},
    {0xFFA0, 0xFFA0}, {0xFFF0, 0xFFF8}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0000, 0xE0FFF},
};

}  // namespace

bool is_default_ignorable(char32_t code_point) {
  auto c = static_cast<UChar32>(code_point);
  if (c < 0xAD) return false;
  for (const auto& [low, high] : kIgnorable) {
    if (c < low) return false;
    if (c <= high) return true;
  }
  return false;
}

namespace {

bool is_ignorable(UChar32 c) { return is_default_ignorable(static_cast<char32_t>(c)); }

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
    case 0x0430:
      return 'a';
    case 0x0435:
      return 'e';
    case 0x043E:
      return 'o';
    case 0x0440:
      return 'p';
    case 0x0441:
      return 'c';
    case 0x0443:
      return 'y';
    case 0x0445:
      return 'x';
    case 0x0455:
      return 's';
    case 0x0456:
      return 'i';
    case 0x0458:
      return 'j';
    case 0x0501:
      return 'd';
    case 0x051B:
      return 'q';
    case 0x051D:
      return 'w';
    // Cyrillic upper case
    case 0x0410:
      return 'A';
    case 0x0412:
      return 'B';
    case 0x0415:
      return 'E';
    case 0x041A:
      return 'K';
    case 0x041C:
      return 'M';
    case 0x041D:
      return 'H';
    case 0x041E:
      return 'O';
    case 0x0420:
      return 'P';
    case 0x0421:
      return 'C';
    case 0x0422:
      return 'T';
    case 0x0423:
      return 'Y';
    case 0x0425:
      return 'X';
    case 0x0405:
      return 'S';
    case 0x0406:
      return 'I';
    case 0x0408:
      return 'J';
    // Greek
    case 0x0391:
      return 'A';
    case 0x0392:
      return 'B';
    case 0x0395:
      return 'E';
    case 0x0396:
      return 'Z';
    case 0x0397:
      return 'H';
    case 0x0399:
      return 'I';
    case 0x039A:
      return 'K';
    case 0x039C:
      return 'M';
    case 0x039D:
      return 'N';
    case 0x039F:
      return 'O';
    case 0x03A1:
      return 'P';
    case 0x03A4:
      return 'T';
    case 0x03A5:
      return 'Y';
    case 0x03A7:
      return 'X';
    case 0x03BF:
      return 'o';
    case 0x03B9:
      return 'i';
    case 0x03BD:
      return 'v';
    case 0x03C1:
      return 'p';
    // Armenian
    case 0x0585:
      return 'o';
    case 0x0578:
      return 'n';
    case 0x057D:
      return 'u';
    default:
      return 0;
  }
}

struct Normalizer::Impl {
  const icu::Normalizer2* nfkc = nullptr;

  // Builds the view: ASCII runs are copied and mapped linearly; every other
  // piece is a segment between normalisation boundaries, normalised alone
  // and mapped as a whole.
  Status build(std::string_view original, NormalizedText& out) const {
    const auto* bytes = reinterpret_cast<const uint8_t*>(original.data());
    const auto length = static_cast<int32_t>(original.size());
    const size_t limit = Normalizer::kMaxExpansion * original.size() + 64;
    std::string& text = out.text_;
    text.reserve(original.size() + 16);
    icu::UnicodeString segment;
    int32_t segment_start = -1;  // -1: no open segment
    auto close_segment = [&]() -> Status {
      if (segment_start < 0) return ok_status();
      out.anchors_.push_back({static_cast<uint32_t>(text.size()), static_cast<uint32_t>(segment_start), false});
      Status flushed = flush(segment, text);
      segment.remove();
      segment_start = -1;
      if (!flushed.ok()) return flushed;
      if (text.size() > limit) return input_error("normalize_limit: the normalised text grows past the limit");
      return ok_status();
    };
    int32_t i = 0;
    while (i < length) {
      if (bytes[i] < 0x80) {
        int32_t run_end = i;
        while (run_end < length && bytes[run_end] < 0x80) ++run_end;
        int32_t copy_end = run_end;
        if (run_end < length) {  // a following combining mark belongs with the run's last character
          int32_t k = run_end;
          UChar32 next;
          U8_NEXT(bytes, k, length, next);
          if (next >= 0 && !nfkc->hasBoundaryBefore(next)) --copy_end;
        }
        Status closed = close_segment();
        if (!closed.ok()) return closed;
        if (copy_end > i) {
          out.anchors_.push_back({static_cast<uint32_t>(text.size()), static_cast<uint32_t>(i), true});
          text.append(original.data() + i, static_cast<size_t>(copy_end - i));
        }
        if (copy_end < run_end) {
          segment_start = copy_end;
          segment.append(static_cast<UChar>(bytes[copy_end]));
        }
        i = run_end;
        continue;
      }
      int32_t start = i;
      UChar32 c;
      U8_NEXT(bytes, i, length, c);
      if (c < 0) c = 0xFFFD;  // unreachable for valid UTF-8; keeps the map sound
      if (segment_start >= 0 && nfkc->hasBoundaryBefore(c)) {
        Status closed = close_segment();
        if (!closed.ok()) return closed;
      }
      if (segment_start < 0) segment_start = start;
      if (!is_ignorable(c)) segment.append(c);
    }
    Status closed = close_segment();
    if (!closed.ok()) return closed;
    out.anchors_.push_back({static_cast<uint32_t>(text.size()), static_cast<uint32_t>(original.size()), false});
    return ok_status();
  }

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
    bool normalised = nfkc->isNormalizedUTF8(icu::StringPiece(original.data(), length), status);
    return !normalised || U_FAILURE(status);
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
  return impl_->build(original, out);
}

bool Normalizer::is_limit_error(const Error& error) { return error.message.rfind("normalize_limit", 0) == 0; }

std::pair<size_t, size_t> NormalizedText::to_original(size_t begin, size_t end) const {
  if (identity_) return {begin, end};
  // The piece holding view byte `begin`: the last anchor at or before it
  // (past pieces that produced nothing, such as a lone zero-width space).
  auto holding_begin = std::upper_bound(anchors_.begin(), anchors_.end(), begin,
                                        [](size_t offset, const Anchor& a) { return offset < a.view; });
  const Anchor& first = *std::prev(holding_begin);
  size_t original_begin = first.linear ? first.original + (begin - first.view) : first.original;
  // The piece holding view byte `end - 1`: inside an ASCII run the end maps
  // linearly; otherwise the span runs to the end of that segment, which is
  // where the next piece with output at or after `end` starts.
  auto after_end = std::lower_bound(anchors_.begin(), anchors_.end(), end,
                                    [](const Anchor& a, size_t offset) { return a.view < offset; });
  const Anchor& last = *std::prev(after_end);
  size_t original_end = last.linear ? last.original + (end - last.view)
                                    : (after_end == anchors_.end() ? original_.size() : after_end->original);
  return {original_begin, std::max(original_begin, original_end)};
}

size_t code_points_before(std::string_view utf8, size_t byte_offset) {
  size_t count = 0;
  size_t n = std::min(byte_offset, utf8.size());
  for (size_t i = 0; i < n; ++i) count += (static_cast<unsigned char>(utf8[i]) & 0xC0) != 0x80;
  return count;
}

}  // namespace airlock::text
