// The PERSON detector (internal to detect): names found by looking up
// capitalised words in lexicons of first and last names, scored by how
// name-like the words are on their own and by the cue before them.
//
// Why not a pattern: a name is a word that happens to be in a list. One
// pass splits the text into words; only capitalised words (and, after a
// strong cue, lower-case ones) cost a hash lookup; the walk over the words
// is linear. No regex runs per word.
//
// Scores (docs/rules.md, "The person detector", has the full table):
//   a first name that is not a common word, followed by a last name or any
//   capitalised word that is not a common word ("Maria Gonzalez")   pair
//   the same where the first name is also a word ("Grant Thompson"),
//   or a word in no list before a last name ("Ayodele Brown")       pair_with_word
//   a first name alone that is not a word ("... asked Olga")        single_name
//   names that are common words ("Will", "May", "Mark Brown")        name_word
//   any listed name after a cue (title, "my name is", "Name:",
//   "Dear", a sign-off such as "Regards,"; "Hi", "Thanks", "I am"…)  cue
//   a capitalised word in no list after a cue ("Dr. Okonkwo")        cue_unknown
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"

namespace airlock::detect {

struct PersonScores {
  double pair = 0.85;  // the rule's `score`
  double pair_with_word = 0.6;
  double single_name = 0.5;
  double name_word = 0.15;
  double cue = 0.9;
  double cue_unknown = 0.7;
};

// The files a person rule names; each list is read whole, one word a line,
// '#' comments, case ignored.
struct PersonLexiconFiles {
  std::vector<std::string> first_names;
  std::vector<std::string> last_names;
  std::vector<std::string> words;  // common words: a name that is one needs a cue
  // Names the word lists hold that are names far more often than words
  // ("maria", "john", "smith"): they do not count as words.
  std::vector<std::string> not_words;
};

struct PersonSpan {
  size_t begin = 0;  // bytes of the scanned text
  size_t end = 0;
  double score = 0;
};

class PersonDetector {
 public:
  // Reads the lexicons. Errors name the file and the reason (a file that
  // cannot be read, or a list that holds no word).
  static Result<std::shared_ptr<const PersonDetector>> load(const PersonLexiconFiles& files, PersonScores scores);

  // Appends the names in `text` (UTF-8, the normalised view), left to right,
  // without overlaps.
  void find(std::string_view text, std::vector<PersonSpan>& out) const;

  const PersonScores& scores() const { return scores_; }
  size_t lexicon_size() const { return flags_.size(); }

  enum Flag : uint8_t { kFirst = 1, kLast = 2, kWord = 4, kNotWord = 8 };

 private:
  PersonDetector() = default;
  Status read_list(const std::string& path, uint8_t flag);
  uint8_t flags_of(std::string_view word) const;

  PersonScores scores_;
  std::unordered_map<std::string, uint8_t> flags_;  // lower-case word -> Flag bits
};

}  // namespace airlock::detect
