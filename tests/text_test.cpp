// text: the normalised view and its map back to original bytes.
#include "text/text.h"

#include <unicode/uchar.h>

#include <catch2/catch.hpp>
#include <random>

using namespace airlock;

namespace {

const text::Normalizer& normalizer() {
  static std::unique_ptr<text::Normalizer> instance = text::Normalizer::create().value();
  return *instance;
}

struct View {
  std::string original;
  text::NormalizedText normalized;
  std::string view() const { return std::string(normalized.view()); }
  // The original bytes behind the first occurrence of `needle` in the view.
  std::string original_of(const std::string& needle) const {
    size_t at = normalized.view().find(needle);
    REQUIRE(at != std::string_view::npos);
    auto [begin, end] = normalized.to_original(at, at + needle.size());
    return original.substr(begin, end - begin);
  }
};

View normalize(const std::string& original) {
  View v;
  v.original = original;
  Status s = normalizer().normalize(v.original, v.normalized);
  REQUIRE(s.ok());
  return v;
}

bool on_boundary(const std::string& s, size_t offset) {
  return offset == s.size() || (static_cast<unsigned char>(s[offset]) & 0xC0) != 0x80;
}

}  // namespace

TEST_CASE("ASCII and already-normal text is its own view", "[text]") {
  View ascii = normalize("call 555-0100 or mail a@b.example");
  CHECK(ascii.normalized.is_identity());
  CHECK(ascii.view() == ascii.original);
  CHECK(ascii.normalized.to_original(5, 13) == std::pair<size_t, size_t>(5, 13));
  View accented = normalize("Zürich, 東京, café 😀");
  CHECK(accented.normalized.is_identity());
}

TEST_CASE("fullwidth digits and letters are seen as ASCII, spans cover the original", "[text]") {
  View v = normalize("SSN: \xEF\xBC\x90\xEF\xBC\x97\xEF\xBC\x98-\xEF\xBC\x90\xEF\xBC\x95-1120 ok");  // ０７８-０５-1120
  CHECK(v.view() == "SSN: 078-05-1120 ok");
  CHECK(v.original_of("078-05-1120") == "\xEF\xBC\x90\xEF\xBC\x97\xEF\xBC\x98-\xEF\xBC\x90\xEF\xBC\x95-1120");
  View letters = normalize("\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3");  // ＡＢＣ
  CHECK(letters.view() == "ABC");
}

TEST_CASE("zero-width characters inside a value are dropped from the view and kept in the span", "[text]") {
  std::string zwsp = "\xE2\x80\x8B", zwj = "\xE2\x80\x8D", soft_hyphen = "\xC2\xAD";
  View v = normalize("mail " + zwsp + "al" + zwsp + "ice@exa" + zwj + "mple.com" + soft_hyphen + " now");
  CHECK(v.view() == "mail alice@example.com now");
  // Ignorables before and after the value stay out; those inside are covered.
  CHECK(v.original_of("alice@example.com") == "al" + zwsp + "ice@exa" + zwj + "mple.com");
  View card = normalize("4111" + zwsp + "1111" + zwsp + "1111" + zwsp + "1111");
  CHECK(card.view() == "4111111111111111");
  CHECK(card.original_of("4111111111111111") == card.original);
}

TEST_CASE("Cyrillic and Greek lookalikes are folded to Latin", "[text]") {
  View v = normalize(
      "\xD0\xB0"
      "dmin@ex\xD0\xB0mple.c\xD0\xBEm");  // а, а, о are Cyrillic
  CHECK(v.view() == "admin@example.com");
  CHECK(v.original_of("admin@example.com") == v.original);
  View greek = normalize("\xCE\x91\xCE\x9A\xCE\x99\xCE\x91");  // ΑΚΙΑ in Greek capitals
  CHECK(greek.view() == "AKIA");
  CHECK(text::fold_homoglyph(U'x') == 0);
}

TEST_CASE("combining marks compose and ligatures split, mapped as a whole", "[text]") {
  View v = normalize("Jose\xCC\x81 \xEF\xAC\x81le");  // José with a combining acute, "ﬁle" with a ligature
  CHECK(v.view() == "Jos\xC3\xA9 file");
  CHECK(v.original_of("file") == "\xEF\xAC\x81le");
  CHECK(v.original_of("i") == "\xEF\xAC\x81");  // half of a ligature maps to all of it
  CHECK(v.original_of("Jos\xC3\xA9") == "Jose\xCC\x81");
}

TEST_CASE("normalisation that grows without bound is refused", "[text]") {
  std::string ligatures;
  for (int i = 0; i < 500; ++i) ligatures += "\xEF\xB7\xBA";  // U+FDFA: 18 code points under NFKC
  text::NormalizedText out;
  Status s = normalizer().normalize(ligatures, out);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.error().message, Catch::Contains("normalize_limit"));
  Status few = normalizer().normalize("x \xEF\xB7\xBA y", out);  // one is fine
  CHECK(few.ok());
}

TEST_CASE("the default-ignorable table matches ICU for every code point", "[text]") {
  for (UChar32 c = 0; c <= 0x10FFFF; ++c) {
    bool expected = u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT);
    if (text::is_default_ignorable(static_cast<char32_t>(c)) != expected) FAIL("U+" << std::hex << c);
  }
}

TEST_CASE("code point offsets from byte offsets", "[text]") {
  std::string s = "a\xC3\xA9\xE6\x9D\xB1\xF0\x9F\x98\x80z";  // a é 東 😀 z
  CHECK(text::code_points_before(s, 0) == 0);
  CHECK(text::code_points_before(s, 1) == 1);
  CHECK(text::code_points_before(s, 3) == 2);
  CHECK(text::code_points_before(s, 6) == 3);
  CHECK(text::code_points_before(s, 10) == 4);
  CHECK(text::code_points_before(s, s.size()) == 5);
}

// Property: for random strings of tricky code points and every span of the
// view, the mapped original span sits on code point boundaries and its own
// view contains the view span.
TEST_CASE("mapped spans land on code point boundaries and cover the match", "[text][property]") {
  const std::vector<std::string> pieces = {"a",
                                           "7",
                                           "@",
                                           ".",
                                           " ",
                                           "-",
                                           "\xEF\xBC\x97" /* ７ */,
                                           "\xEF\xBC\xA1" /* Ａ */,
                                           "\xE2\x80\x8B" /* ZWSP */,
                                           "\xE2\x80\x8D" /* ZWJ */,
                                           "\xC2\xAD" /* soft hyphen */,
                                           "\xD0\xB0" /* Cyrillic а */,
                                           "\xCC\x81" /* combining acute */,
                                           "e",
                                           "\xEF\xAC\x81" /* ﬁ */,
                                           "\xF0\x9F\x98\x80" /* 😀 */,
                                           "\xE6\x9D\xB1" /* 東 */,
                                           "\xE2\x80\xAE" /* RLO */,
                                           "\xE2\x91\xA0" /* ① */,
                                           "\xC3\xA9" /* é */,
                                           "\xEF\xB9\xAB" /* small @ */};
  std::mt19937 random(20261125);
  for (int round = 0; round < 300; ++round) {
    std::string original;
    size_t count = 1 + random() % 24;
    for (size_t i = 0; i < count; ++i) original += pieces[random() % pieces.size()];
    View v = normalize(original);
    std::string view = v.view();
    for (size_t begin = 0; begin < view.size(); ++begin) {
      if (!on_boundary(view, begin)) continue;
      for (size_t end = begin + 1; end <= view.size(); ++end) {
        if (!on_boundary(view, end)) continue;
        auto [ob, oe] = v.normalized.to_original(begin, end);
        INFO("original '" << original << "' view '" << view << "' span " << begin << ".." << end);
        REQUIRE(ob <= oe);
        REQUIRE(oe <= original.size());
        REQUIRE(on_boundary(original, ob));
        REQUIRE(on_boundary(original, oe));
        View part = normalize(original.substr(ob, oe - ob));
        REQUIRE(part.view().find(view.substr(begin, end - begin)) != std::string::npos);
      }
    }
  }
}
