// The PERSON detector: lexicon lookups on capitalised words, cues before
// them, scores for how name-like a run of words is (see person.h).
#include "detect/person.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>

namespace airlock::detect {
namespace {

// The largest lexicon file read (the shipped ones are under 1 MiB).
constexpr uintmax_t kMaxLexiconBytes = 64 << 20;
// Words longer than this are in no lexicon: skip the lookup.
constexpr size_t kMaxNameBytes = 32;
// A name is at most this many words: "Mary Ann J. Gonzalez".
constexpr size_t kMaxNameWords = 4;
// A lone first name that starts a sentence is capitalised for that reason
// alone: foreign words and brand names in the lists ("Merci", "Chance")
// start sentences far more often than lone names do.
constexpr double kSentenceStartPenalty = 0.2;

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_letter(char c) { return is_upper(c) || is_lower(c) || static_cast<unsigned char>(c) >= 0x80; }

// Every byte of every string goes through this: a table, not comparisons.
enum CharClass : uint8_t { kOther = 0, kLetter = 1, kDigit = 2 };
constexpr std::array<uint8_t, 256> kCharClass = [] {
  std::array<uint8_t, 256> table{};
  for (int c = 0; c < 256; ++c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c >= 0x80) table[c] = kLetter;
    if (c >= '0' && c <= '9') table[c] = kDigit;
  }
  return table;
}();
uint8_t char_class(char c) { return kCharClass[static_cast<unsigned char>(c)]; }
char to_lower(char c) { return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c; }

struct Word {
  size_t begin = 0;
  size_t end = 0;            // of the name part: a possessive "'s" is left out
  size_t gap_begin = 0;      // where the previous word ended: the gap is [gap_begin, begin)
  uint8_t flags = 0;         // PersonDetector::Flag bits, looked up for capitalised words
  bool capitalised = false;  // "Maria"; also "MARIA" (shouting)
  bool shouting = false;     // all capitals, as in headers: "PATIENT: GONZALEZ, MARIA"
  bool initial = false;      // one capital letter: "J" of "J. Smith"
  bool has_digit = false;
};

// How much the words before a name say that a name follows.
enum class Cue {
  kNone,
  kWeak,        // "hi", "thanks", "I am", "this is": names that are also words count
  kStrong,      // "Dear", a sign-off: also lower-case names ("regards,\nmaria")
  kNaming,      // a title ("Dr."): any capitalised word is a name
  kIntroduced,  // a label ("Patient:"), "my name is": names that are words, in lower case too
};

bool equals_lower(std::string_view text, const Word& word, std::string_view lower) {
  if (word.end - word.begin != lower.size()) return false;
  for (size_t i = 0; i < lower.size(); ++i) {
    if (to_lower(text[word.begin + i]) != lower[i]) return false;
  }
  return true;
}

// A short list of lower-case words, indexed by first letter and length:
// most words match no term on both, and are dismissed in one lookup.
template <size_t N>
struct Terms {
  std::array<std::string_view, N> words;
  std::array<uint32_t, 128> lengths{};  // first letter -> bit L set when a term of length L starts with it
  constexpr explicit Terms(const std::array<std::string_view, N>& list) : words(list) {
    for (std::string_view w : list) lengths[static_cast<unsigned char>(w[0]) & 127] |= uint32_t{1} << w.size();
  }
};

template <size_t N>
bool is_one_of(std::string_view text, const Word& word, const Terms<N>& terms) {
  auto first = static_cast<unsigned char>(to_lower(text[word.begin]));
  size_t length = word.end - word.begin;
  if (first >= 128 || length >= 32 || !(terms.lengths[first] >> length & 1)) return false;
  return std::any_of(terms.words.begin(), terms.words.end(), [&](std::string_view t) {
    return static_cast<unsigned char>(t[0]) == first && equals_lower(text, word, t);
  });
}

constexpr Terms<16> kTitles{std::array<std::string_view, 16>{"dr", "mr", "mrs", "ms", "mx", "miss", "prof", "sir",
                                                             "dame", "madam", "rev", "doctor", "professor", "nurse",
                                                             "judge", "mister"}};
// The last word of a label before ':' ("Patient name:" ends in "name").
constexpr Terms<21> kLabels{std::array<std::string_view, 21>{
    "name",        "patient",  "client",    "customer",  "employee",  "applicant", "candidate",
    "contact",     "attendee", "tenant",    "plaintiff", "defendant", "witness",   "claimant",
    "beneficiary", "signed",   "physician", "requester", "by",        "author",    "holder"}};
// "a Roth IRA", "the Chase account": a lone name after these is a thing.
constexpr Terms<11> kDeterminers{std::array<std::string_view, 11>{"a", "an", "the", "this", "that", "these", "those",
                                                                  "every", "each", "any", "some"}};
constexpr Terms<12> kSignOffs{std::array<std::string_view, 12>{"regards", "best", "thanks", "cheers", "sincerely",
                                                               "wishes", "yours", "truly", "respectfully", "warmly",
                                                               "gratefully", "love"}};
constexpr Terms<12> kGreetings{std::array<std::string_view, 12>{"hi", "hello", "hey", "thanks", "meet", "cc", "named",
                                                                "called", "im", "i'm", "ask", "tell"}};

std::string_view gap_of(std::string_view text, const Word& word) {
  return text.substr(word.gap_begin, word.begin - word.gap_begin);
}

bool gap_has(std::string_view gap, char c) { return gap.find(c) != std::string_view::npos; }

// Spaces only, on one line: the gap between the words of one name. After an
// initial its full stop may come first ("J. Smith").
bool is_name_gap(std::string_view gap, bool after_initial) {
  if (after_initial && !gap.empty() && gap.front() == '.') gap.remove_prefix(1);
  return !gap.empty() && gap.size() <= 2 && std::all_of(gap.begin(), gap.end(), [](char c) { return c == ' '; });
}

// ", " on one line: between "Gonzalez" and "Maria" in "Gonzalez, Maria".
bool is_comma_gap(std::string_view gap) {
  return gap.size() >= 2 && gap.size() <= 3 && gap.front() == ',' &&
         std::all_of(gap.begin() + 1, gap.end(), [](char c) { return c == ' '; });
}

// Words in one sentence: the gap ends no sentence.
bool same_sentence(std::string_view gap) { return !gap_has(gap, '.') && !gap_has(gap, '!') && !gap_has(gap, '?'); }

Cue cue_before(std::string_view text, const std::vector<Word>& words, size_t i) {
  if (i == 0) return Cue::kNone;
  const Word& prev = words[i - 1];
  std::string_view gap = gap_of(text, words[i]);
  bool spaces_only = std::all_of(gap.begin(), gap.end(), [](char c) { return c == ' '; });
  if (is_one_of(text, prev, kTitles) && !gap_has(gap, '\n') &&
      std::all_of(gap.begin(), gap.end(), [](char c) { return c == ' ' || c == '.'; })) {
    return Cue::kNaming;
  }
  if (gap_has(gap, ':') && is_one_of(text, prev, kLabels)) return Cue::kIntroduced;
  bool two_words = i >= 2 && spaces_only &&
                   std::all_of(gap_of(text, prev).begin(), gap_of(text, prev).end(), [](char c) { return c == ' '; });
  if (two_words && equals_lower(text, words[i - 2], "name") && equals_lower(text, prev, "is")) return Cue::kIntroduced;
  if (equals_lower(text, prev, "dear") && same_sentence(gap)) return Cue::kStrong;
  if ((gap_has(gap, ',') || gap_has(gap, '\n')) && same_sentence(gap) && is_one_of(text, prev, kSignOffs)) {
    return Cue::kStrong;
  }
  if (!same_sentence(gap) || gap_has(gap, '\n')) return Cue::kNone;
  if (is_one_of(text, prev, kGreetings)) return Cue::kWeak;
  // "thank you, Anjali", "I am Maria": the two words before, on one line, in one sentence.
  bool two_words_before =
      i >= 2 && std::all_of(gap_of(text, prev).begin(), gap_of(text, prev).end(), [](char c) { return c == ' '; });
  if (two_words_before) {
    const Word& before = words[i - 2];
    if ((equals_lower(text, before, "i") && equals_lower(text, prev, "am")) ||
        (equals_lower(text, before, "this") && equals_lower(text, prev, "is")) ||
        (equals_lower(text, before, "call") && equals_lower(text, prev, "me")) ||
        (equals_lower(text, before, "thank") && equals_lower(text, prev, "you"))) {
      return Cue::kWeak;
    }
  }
  return Cue::kNone;
}

}  // namespace

Status PersonDetector::read_list(const std::string& path, uint8_t flag) {
  // A pack is untrusted: a "lexicon" that is /dev/zero or a huge file must
  // fail, not fill memory.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return usage_error("lexicon " + path + " is not a regular file");
  if (std::filesystem::file_size(path, ec) > kMaxLexiconBytes || ec) {
    return usage_error("lexicon " + path + " is larger than " + std::to_string(kMaxLexiconBytes >> 20) + " MiB");
  }
  std::ifstream in(path);
  if (!in) return usage_error("cannot read lexicon " + path);
  size_t count = 0;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line[0] == '#' || line.size() > kMaxNameBytes) continue;
    std::transform(line.begin(), line.end(), line.begin(), to_lower);
    flags_[line] |= flag;
    ++count;
  }
  if (in.bad()) return usage_error("cannot read lexicon " + path);
  if (count == 0) return usage_error("lexicon " + path + " holds no word");
  return ok_status();
}

Result<std::shared_ptr<const PersonDetector>> PersonDetector::load(const PersonLexiconFiles& files,
                                                                   PersonScores scores) {
  std::shared_ptr<PersonDetector> detector(new PersonDetector());
  detector->scores_ = scores;
  for (auto [list, flag] : {std::pair{&files.first_names, kFirst}, std::pair{&files.last_names, kLast},
                            std::pair{&files.words, kWord}, std::pair{&files.not_words, kNotWord}}) {
    for (const std::string& path : *list) {
      if (Status s = detector->read_list(path, flag); !s.ok()) return s.error();
    }
  }
  for (auto& [word, flags] : detector->flags_) {
    if (flags & kNotWord) flags = static_cast<uint8_t>(flags & ~(kWord | kNotWord));
  }
  return std::shared_ptr<const PersonDetector>(std::move(detector));
}

namespace {

// Latin letters written in two UTF-8 bytes: Latin-1 (U+00C0..U+00FF, first
// byte 0xC3) and Latin Extended-A (U+0100..U+017F, 0xC4 and 0xC5), the
// letters of European names ("Müller", "Łukasz", "Dvořák"). For each: the
// base letter ('-' where there is none) and whether it is a capital.
constexpr std::string_view kLatin1Base =
    "aaaaaaaceeeeiiiidnooooo-ouuuuyts"
    "aaaaaaaceeeeiiiidnooooo-ouuuuyty";
constexpr std::string_view kExtendedABase =
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkkllllllllllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuu"
    "uuwwyyyzzzzzzs";
constexpr std::string_view kExtendedAUpper =
    "101010101010101010101010101010101010101010101010101010100101010101010101001010101010101010101010101010101010101010"
    "1010101101010"
    "0";

size_t extended_a_index(unsigned char lead, unsigned char next) {
  return (static_cast<size_t>(lead & 0x1F) << 6 | (next & 0x3F)) - 0x100;
}

char latin_base(unsigned char lead, unsigned char next) {
  if (next < 0x80 || next > 0xBF) return '-';
  if (lead == 0xC3) return kLatin1Base[next - 0x80];
  if (lead == 0xC4 || lead == 0xC5) return kExtendedABase[extended_a_index(lead, next)];
  return '-';
}

// Whether a Latin letter with a diacritic starts at `at` ("ü" of "Müller").
// Other scripts do not continue a capitalised Latin word: the normalised
// view folds a Greek capital Ε to E, and "Eλληνικά" is not a name.
bool latin_letter_at(std::string_view text, size_t at) {
  if (at + 1 >= text.size()) return false;
  return latin_base(static_cast<unsigned char>(text[at]), static_cast<unsigned char>(text[at + 1])) != '-';
}

// The length in bytes of the capital letter `word` starts with; 0 if it
// starts with none. "M" 1, "Ł" 2, "m" 0, "ł" 0.
size_t capital_length(std::string_view word) {
  if (word.empty()) return 0;
  if (is_upper(word[0])) return 1;
  if (word.size() < 2) return 0;
  auto lead = static_cast<unsigned char>(word[0]), next = static_cast<unsigned char>(word[1]);
  if (latin_base(lead, next) == '-') return 0;
  bool upper = lead == 0xC3 ? next < 0x9F : kExtendedAUpper[extended_a_index(lead, next)] == '1';
  return upper ? 2 : 0;
}

// The lists are ASCII without apostrophes: "José" is looked up as "jose",
// "Müller" as "muller", "O'Brien" as "obrien".
// Latin-1 letters (U+00C0 to U+00FF, two bytes starting 0xC3) lose their
// accents; other non-ASCII letters stay and find nothing.
void fold_accents(std::string_view word, std::string& out) {
  out.clear();
  for (size_t i = 0; i < word.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(word[i]);
    char base = i + 1 < word.size() ? latin_base(c, static_cast<unsigned char>(word[i + 1])) : '-';
    if (base != '-') {
      out += base;
      ++i;
    } else if (c != '\'') {  // "O'Brien" is listed as "obrien"
      out += to_lower(static_cast<char>(c));
    }
  }
}

}  // namespace

uint8_t PersonDetector::flags_of(std::string_view word) const {
  if (word.size() > kMaxNameBytes) return 0;
  thread_local std::string key;
  fold_accents(word, key);
  auto found = flags_.find(key);
  return found == flags_.end() ? 0 : found->second;
}

namespace {

// Splits `text` into words: letters and digits, with an apostrophe or hyphen
// between letters ("O'Brien", "Mary-Jane"). Capitalised words are looked up.
template <typename Lookup>
void split_words(std::string_view text, const Lookup& lookup, std::vector<Word>& words) {
  words.clear();
  size_t previous_end = 0;
  for (size_t i = 0; i < text.size();) {
    if (char_class(text[i]) == kOther) {
      ++i;
      continue;
    }
    // The word's extent in locals first: a store to the Word on every byte
    // would be repeated, since a char may alias it.
    size_t begin = i;
    bool has_digit = false;
    while (i < text.size()) {
      uint8_t kind = char_class(text[i]);
      if (kind == kOther) {
        bool joins = (text[i] == '\'' || text[i] == '-') && i + 1 < text.size() && is_letter(text[i + 1]) &&
                     is_letter(text[i - 1]);
        if (!joins) break;
      }
      has_digit |= kind == kDigit;
      ++i;
    }
    // Filled in place: building a Word on the stack and copying it in made
    // the CPU wait on store forwarding for every word.
    Word& word = words.emplace_back();
    word.begin = begin;
    word.gap_begin = previous_end;
    word.has_digit = has_digit;
    previous_end = i;
    word.end = i;
    if (word.end - word.begin > 2 && text[word.end - 2] == '\'' && to_lower(text[word.end - 1]) == 's') word.end -= 2;
    size_t length = word.end - word.begin;
    // "Maria", "Müller", "Łukasz", "O'Brien", "J"; not "SSN" or "iPhone".
    // An apostrophe only before another capital: "O'Brien", not "I've".
    size_t capital = capital_length(text.substr(word.begin, length));
    char second = length > capital ? text[word.begin + capital] : 'a';
    bool irish = second == '\'' && length > capital + 1 && is_upper(text[word.begin + capital + 1]);
    word.capitalised =
        capital > 0 && !word.has_digit && (is_lower(second) || irish || latin_letter_at(text, word.begin + capital));
    word.initial = word.capitalised && length == capital;
    // Acronyms ("SSN", "ED", "TBD") are all capitals too: such a word counts
    // only as a listed name, and alone only after a cue (see score_of()).
    word.shouting = !word.initial && !word.has_digit && length > 1 &&
                    std::all_of(text.begin() + static_cast<std::ptrdiff_t>(word.begin),
                                text.begin() + static_cast<std::ptrdiff_t>(word.end),
                                [](char c) { return is_upper(c) || c == '\'' || c == '-'; });
    word.capitalised |= word.shouting;
    if (word.capitalised && !word.initial) word.flags = lookup(text.substr(word.begin, length));
  }
}

constexpr uint8_t kName = PersonDetector::kFirst | PersonDetector::kLast;
constexpr uint8_t kWordFlag = PersonDetector::kWord;

// A cheap test that words[i] may follow a strong cue (cue_before() decides):
// a title, "is" of "my name is", "dear", or a gap with ':' (labels), ','
// or a line break (sign-offs).
bool may_follow_strong_cue(std::string_view text, const std::vector<Word>& words, size_t i) {
  if (i == 0 || words[i].has_digit) return false;
  for (char c : gap_of(text, words[i])) {
    if (c == ':' || c == ',' || c == '\n' || c == '.') return true;
  }
  const Word& prev = words[i - 1];
  if (prev.end - prev.begin > 9) return false;  // longer than any title, "is" or "dear"
  return equals_lower(text, prev, "is") || equals_lower(text, prev, "dear") || is_one_of(text, prev, kTitles);
}

// Whether a last name follows words[i], maybe after a middle initial ("Xiaoming C. Rossi").
bool before_last_name(std::string_view text, const std::vector<Word>& words, size_t i) {
  size_t next = i + 1;
  if (next < words.size() && words[next].initial && is_name_gap(gap_of(text, words[next]), false)) ++next;
  if (next >= words.size()) return false;
  const Word& last = words[next];
  return last.capitalised && !last.initial && (last.flags & PersonDetector::kLast) &&
         is_name_gap(gap_of(text, last), words[next - 1].initial);
}

// "JAMES ADEYEMI": in capitals, a word in no list follows a listed first name
// that is no common word, and is longer than most acronyms.
bool unlisted_surname_in_capitals(const std::vector<Word>& words, size_t i, const Word& next) {
  const Word& head = words[i];
  return (head.flags & PersonDetector::kFirst) && !(head.flags & kWordFlag) && next.flags == 0 &&
         next.end - next.begin >= 3;
}

// The end of the name that starts at words[i]: further names, initials and,
// in capitalised text, capitalised words in no lexicon and no dictionary
// ("Maria Okonkwo"), on one line, separated by a space.
template <typename Lookup>
size_t extend(std::string_view text, std::vector<Word>& words, size_t i, Cue cue, bool lower_case,
              const Lookup& lookup) {
  size_t end = i + 1;
  while (end < words.size() && end - i < kMaxNameWords) {
    Word& next = words[end];
    if (!is_name_gap(gap_of(text, next), words[end - 1].initial)) break;
    // "Dear May": a word that cues a name is not part of it.
    if (cue_before(text, words, end) != Cue::kNone) break;
    if (lower_case) {
      if (next.capitalised || next.has_digit) break;
      next.flags = lookup(text.substr(next.begin, next.end - next.begin));
      // After "my name is" a name that is also a word is still a name; after "Dr." or "regards," less surely.
      if (!(next.flags & kName) || ((next.flags & kWordFlag) && cue != Cue::kIntroduced)) break;
    } else if (!next.capitalised || (next.flags != 0 && !(next.flags & kName)) ||
               (next.shouting && !(next.flags & kName) && !unlisted_surname_in_capitals(words, i, next))) {
      break;
    }
    ++end;
  }
  // "I told Maria I would": a capital letter alone ends no name.
  while (end - i > 1 && words[end - 1].initial) --end;
  return end;
}

double score_of(const PersonScores& scores, std::string_view text, const std::vector<Word>& words, size_t begin,
                size_t end, Cue cue, bool last_first) {
  bool any_known =
      std::any_of(words.begin() + begin, words.begin() + end, [](const Word& w) { return w.flags & kName; });
  if (cue >= Cue::kWeak && any_known && (words[begin].flags & kName)) return scores.cue;
  if (cue != Cue::kNone) return scores.cue_unknown;
  if (!(words[begin].flags & kName)) return scores.pair_with_word;  // "Ayodele Brown"
  const Word& first = words[last_first ? begin + 1 : begin];
  bool first_name = first.flags & PersonDetector::kFirst;
  bool first_is_word = first.flags & kWordFlag;
  size_t names = 0;
  bool others_plain = true;  // no other word of the name is a common word
  for (size_t k = begin; k < end; ++k) {
    if (words[k].initial) continue;
    ++names;
    if (&words[k] != &first && (words[k].flags & kWordFlag)) others_plain = false;
  }
  if (names >= 2) {
    if (first_name && !first_is_word) return scores.pair;
    if (first_name && others_plain) return scores.pair_with_word;
    return scores.name_word;
  }
  if (!first_name || first_is_word || first.shouting) return scores.name_word;
  if (begin > 0 && is_one_of(text, words[begin - 1], kDeterminers)) return scores.name_word;
  bool sentence_start = begin == 0 || !same_sentence(gap_of(text, first)) || gap_has(gap_of(text, first), '\n');
  return sentence_start ? scores.single_name - kSentenceStartPenalty : scores.single_name;
}

// How the name that may start at a word starts, as find() decides it.
struct Start {
  bool ok = false;
  Cue cue = Cue::kNone;
  bool lower_case = false;  // a name in lower case after a strong cue
  bool last_first = false;  // "Gonzalez, Maria"
};

template <typename Lookup>
Start start_at(std::string_view text, std::vector<Word>& words, size_t i, const Lookup& lookup) {
  Start start;
  Word& head = words[i];
  // Most words are in lower case and follow no cue: skip them before the
  // cue's string comparisons, which would otherwise run on every word.
  if ((!head.capitalised && !may_follow_strong_cue(text, words, i)) || head.initial) return start;
  start.cue = cue_before(text, words, i);
  // After a strong cue a name may be written in lower case: "my name is maria gonzalez".
  start.lower_case = !head.capitalised && !head.has_digit && start.cue >= Cue::kStrong;
  if (start.lower_case) head.flags = lookup(text.substr(head.begin, head.end - head.begin));
  bool word = head.flags & kWordFlag;
  // A word that is only a last name ("Can", "Long") starts no name without a cue: "Can Sarah
  // and Carlos swap" is about Sarah.
  bool known = (head.flags & kName) && !(start.lower_case && word && start.cue != Cue::kIntroduced) &&
               ((head.flags & PersonDetector::kFirst) || !word || start.cue != Cue::kNone);
  // A capitalised word in no list and no dictionary is a name after any cue
  // ("Thanks, Ayodele"), or before a last name ("Ayodele Brown").
  bool unknown = head.capitalised && head.flags == 0 && !is_one_of(text, head, kTitles);
  bool before_last = unknown && before_last_name(text, words, i);  // "NGOZI SATO" too
  start.ok = known || before_last || (unknown && !head.shouting && start.cue != Cue::kNone);
  // "Gonzalez, Maria": a last name, a comma, a first name.
  const Word* next = i + 1 < words.size() ? &words[i + 1] : nullptr;
  start.last_first = known && head.capitalised && next && is_comma_gap(gap_of(text, *next)) && next->capitalised &&
                     (next->flags & PersonDetector::kFirst) &&
                     (start.cue >= Cue::kStrong ||
                      ((head.flags & PersonDetector::kLast) && !(head.flags & (PersonDetector::kFirst | kWordFlag))));
  return start;
}

}  // namespace

void PersonDetector::find(std::string_view text, std::vector<PersonSpan>& out) const {
  thread_local std::vector<Word> words;
  auto lookup = [this](std::string_view w) { return flags_of(w); };
  split_words(text, lookup, words);
  for (size_t i = 0; i < words.size();) {
    Start start = start_at(text, words, i, lookup);
    if (!start.ok) {
      ++i;
      continue;
    }
    size_t end = start.last_first ? i + 2 : extend(text, words, i, start.cue, start.lower_case, lookup);
    out.push_back(
        {words[i].begin, words[end - 1].end, score_of(scores_, text, words, i, end, start.cue, start.last_first)});
    i = end;
  }
}

}  // namespace airlock::detect
