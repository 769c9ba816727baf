// detect: rule packs (YAML) compiled into one RE2::Set prefilter and one RE2
// per rule, validators, context scoring, and findings with exact spans.
//
// A scan of a string: build the normalised view (text/text.h); ask the set
// which rules can match; run only those rules' own RE2 for spans; keep a
// candidate if its validators accept it and no allow-list excuses it; score
// it by the words around it; resolve overlaps (higher score, then longer
// span, then rule order); map each span back to the original bytes.
//
// RE2 runs in time linear in the input whatever the pattern: there is no
// backtracking engine anywhere. Its memory is bounded by explicit budgets,
// and running out of memory is an error, never "no match".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "detect/validators.h"

namespace airlock::detect {

class PersonDetector;  // person.h: the lexicons and scores of a `detector: person` rule

struct ValidatorUse {
  const ValidatorInfo* validator = nullptr;
  ValidatorParams params;
};

struct ContextWords {
  std::vector<std::string> words;  // lower case; a term may be a phrase
  size_t window = 6;               // words before and after the match
  double adjust = 0.25;            // added (context) or subtracted (negative context)
};

struct Rule {
  std::string id;       // "pii.email", unique across the packs of a scan
  std::string entity;   // "EMAIL_ADDRESS" (Presidio's names where one exists)
  std::string pattern;  // RE2 syntax; empty for a detector rule
  // A built-in detector instead of a pattern: "person" (names from
  // lexicons, docs/rules.md). Its candidates go through allow lists,
  // negative context, minimum score and overlaps like any pattern's.
  std::string detector;
  std::shared_ptr<const PersonDetector> person;
  double score = 0.5;   // before context
  bool case_insensitive = false;
  // Matched case-insensitively with leetspeak spellings (o/0, i/1, e/3,
  // a/4/@, s/5/$) of every letter, for prohibited-content terms.
  bool leetspeak = false;
  std::string category;  // prohibited content: the category ("malware", …)
  int severity = 0;      // prohibited content: 1 (low) to 5 (high); 0 for other rules
  std::string value_group;  // named group whose span is reported; empty: the whole match
  std::vector<ValidatorUse> validators;
  ContextWords context;
  ContextWords negative_context;
  std::vector<std::string> allow;           // values never reported (compared in the normalised view)
  std::vector<std::string> allow_patterns;  // RE2, matched against the whole value
  std::vector<std::string> match_examples;  // the rule must find something in each
  std::vector<std::string> no_match_examples;
  // Where it was written, for messages.
  std::string pack;
  std::string file;
  int line = 0;
};

struct RulePack {
  std::string name;
  std::string version;
  std::string description;
  std::string file;
  std::string sha256;  // of the file and the lexicons its rules read, for the audit trail
  std::vector<Rule> rules;
};

// Loads one pack file. Errors name the file, the line and the rule:
// "rules/pii.yaml:12: rule pii.email: unknown validator 'lunh'" (exit 2).
Result<RulePack> load_pack(const std::string& path);
// Loads files and folders (every *.yaml / *.yml in a folder, sorted by name).
Result<std::vector<RulePack>> load_packs(const std::vector<std::string>& paths);

// A pattern that also matches leetspeak spellings: outside escapes,
// character classes, repetition counts and (?…) prefixes, each o, i, e, a
// and s becomes a class of its variants ("ransom" → "r[a4@]n[s5$][o0]m").
// One pass of the rule set then covers both spellings.
std::string with_leetspeak(std::string_view pattern);

// A finding in one string. Offsets are into the original (decoded) string.
struct Finding {
  size_t byte_start = 0;
  size_t byte_end = 0;
  size_t start = 0;  // code points, as Python and Presidio count
  size_t end = 0;
  uint32_t rule = 0;  // index into Scanner::rules()
  double score = 0;
};

class Scanner {
 public:
  struct Options {
    double min_score = 0.0;           // findings scored lower are dropped
    int64_t set_max_mem = 256 << 20;  // RE2::Set budget (the DFA cache)
    int64_t rule_max_mem = 16 << 20;  // each rule's RE2 budget
  };
  // Compiles every rule of `packs`. A pattern RE2 rejects, a duplicate rule
  // id or an allow pattern that does not compile is an error naming the rule.
  static Result<std::unique_ptr<Scanner>> create(std::vector<RulePack> packs, Options options);
  ~Scanner();

  // Appends the findings in `text` (valid UTF-8), in order of position.
  // Thread-safe. Fails if a regex runs out of memory or the text cannot be
  // normalised (normalize_limit): never reports a string it could not scan
  // as clean.
  Status scan(std::string_view text, std::vector<Finding>& findings) const;
  // The same for one rule alone, with no overlap resolution and no minimum
  // score: what `airlock rules test` checks examples with.
  Status scan_rule(size_t rule, std::string_view text, std::vector<Finding>& findings) const;

  const std::vector<Rule>& rules() const;
  const std::vector<RulePack>& packs() const;
  const Options& options() const;

 private:
  Scanner() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A rule example that did not behave as declared.
struct ExampleFailure {
  const Rule* rule = nullptr;
  std::string example;
  bool should_match = false;
};
// Runs every rule's match and no-match examples.
Result<std::vector<ExampleFailure>> check_examples(const Scanner& scanner);

}  // namespace airlock::detect
