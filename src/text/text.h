// text: the view of a string that rules are matched against, and the way
// back from that view to the original bytes.
//
// Rules must not be fooled by how a value is written, so they see a
// normalised view: NFKC (fullwidth "０７８" becomes "078", ligatures split),
// default-ignorable code points removed (zero-width spaces and joiners, bidi
// controls, soft hyphens), and common Cyrillic and Greek letters that look
// like Latin ones folded to them ("аlice@..." with a Cyrillic "а"). A match
// in the view maps back to the span of original bytes that produced it, so
// a finding always covers the whole value as written, zero-width characters
// inside it included.
//
// ASCII text needs none of this and costs one pass over its bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace airlock::text {

class NormalizedText {
 public:
  // The text rules see. Valid while the original string and this object are.
  std::string_view view() const { return identity_ ? original_ : std::string_view(text_); }
  // True when the view is the original string itself.
  bool is_identity() const { return identity_; }
  // The original byte span [first, second) that produced view bytes
  // [begin, end). Always on code point boundaries; never shorter than what
  // produced the view span.
  std::pair<size_t, size_t> to_original(size_t begin, size_t end) const;

 private:
  friend class Normalizer;
  std::string_view original_;
  std::string text_;
  bool identity_ = true;
  // Where each piece of the view starts, in the view and in the original.
  // A linear piece is a run of ASCII copied as is (offsets inside it map one
  // to one); any other piece maps as a whole. The last anchor is (view size,
  // original size). Offsets only grow.
  struct Anchor {
    uint32_t view;
    uint32_t original;
    bool linear;
  };
  std::vector<Anchor> anchors_;
};

class Normalizer {
 public:
  // Fails only if ICU's normalisation data cannot be loaded.
  static Result<std::unique_ptr<Normalizer>> create();
  ~Normalizer();

  // Fills `out` with the normalised view of `original`, which must be valid
  // UTF-8. Fails (normalize_limit) if the view would be more than
  // kMaxExpansion times larger than the original: NFKC can turn one code
  // point into eighteen, and a string made of them must not blow up memory.
  Status normalize(std::string_view original, NormalizedText& out) const;

  static constexpr size_t kMaxExpansion = 4;
  // Whether an error from normalize() is the expansion limit (a property
  // of the record, which goes to quarantine) rather than a failure.
  static bool is_limit_error(const Error& error);

 private:
  Normalizer() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The number of code points in utf8[0, byte_offset): the code point offset
// that Python and Presidio use, from a UTF-8 byte offset.
size_t code_points_before(std::string_view utf8, size_t byte_offset);

// Whether the code point has Unicode's Default_Ignorable_Code_Point property
// (zero-width characters, bidi controls, variation selectors, soft hyphen).
bool is_default_ignorable(char32_t code_point);

// The Latin letter a Cyrillic, Greek or Armenian lookalike is folded to, or
// 0 if `code_point` is not one of them.
char32_t fold_homoglyph(char32_t code_point);

}  // namespace airlock::text
