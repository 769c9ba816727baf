// Compiling rules and scanning strings.
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>

#include "detect/detect.h"
#include "detect/person.h"
#include "text/text.h"

namespace airlock::detect {
namespace {

// Candidates per string past which a scan stops collecting: bounds the work
// on adversarial text made of nothing but matches.
constexpr size_t kMaxCandidatesPerString = 10000;

// Examples say what a rule reports at the default minimum score of scans
// and policies: a match example must score at least this, with the context
// it gives; a no-match example must not.
constexpr double kExampleMinScore = 0.5;

struct Candidate {
  size_t begin = 0;  // in the normalised view
  size_t end = 0;
  double score = 0;
  uint32_t rule = 0;
};

bool is_word_byte(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

// " w1 w2 w3 ": lower-case words joined by single spaces, padded, so that a
// term (itself tokenised the same way) is found as " term ".
void append_words(std::string_view text, std::string& out) {
  bool in_word = false;
  for (unsigned char c : text) {
    if (is_word_byte(c)) {
      if (!in_word) out += ' ';
      out += static_cast<char>(std::tolower(c));
      in_word = true;
    } else {
      in_word = false;
    }
  }
}

std::string tokenized_term(const std::string& term) {
  std::string out;
  append_words(term, out);
  return out + ' ';
}

// ". ", "! ", "? " (and before a line break): the words after it are about
// something else. The window after a match stops there; the one before it
// only at "? " and "! " (ends_question), as it must reach past the full stop
// of "Tel. 030 …" or "No. 4111 …".
bool ends_sentence(std::string_view gap) {
  for (size_t i = 0; i + 1 < gap.size(); ++i) {
    if ((gap[i] == '.' || gap[i] == '!' || gap[i] == '?') && std::isspace(static_cast<unsigned char>(gap[i + 1]))) {
      return true;
    }
  }
  return false;
}

// "? " or "! ": the window before a match stops there ("…the earnings
// call? Order 0396…" is no phone number). A full stop does not stop it.
bool ends_question(std::string_view gap) {
  for (size_t i = 0; i + 1 < gap.size(); ++i) {
    if ((gap[i] == '!' || gap[i] == '?') && std::isspace(static_cast<unsigned char>(gap[i + 1]))) return true;
  }
  return false;
}

// Start of the n-th word before `from`, and end of the n-th word after `to`
// (or of the sentence, if it ends first).
std::pair<size_t, size_t> context_window(std::string_view view, size_t from, size_t to, size_t words) {
  size_t begin = from;
  for (size_t n = 0; n < words && begin > 0;) {
    size_t gap = begin;
    while (begin > 0 && !is_word_byte(static_cast<unsigned char>(view[begin - 1]))) --begin;
    if (begin == 0 || ends_question(view.substr(begin, gap - begin))) {
      begin = gap;
      break;
    }
    while (begin > 0 && is_word_byte(static_cast<unsigned char>(view[begin - 1]))) --begin;
    ++n;
  }
  size_t end = to;
  for (size_t n = 0; n < words && end < view.size();) {
    size_t gap = end;
    while (end < view.size() && !is_word_byte(static_cast<unsigned char>(view[end]))) ++end;
    if (end == view.size() || ends_sentence(view.substr(gap, end - gap))) break;
    while (end < view.size() && is_word_byte(static_cast<unsigned char>(view[end]))) ++end;
    ++n;
  }
  return {begin, end};
}

void undo_leet_digits(std::string& words) {
  for (char& c : words) {
    switch (c) {
      case '0': c = 'o'; break;
      case '1': c = 'i'; break;
      case '3': c = 'e'; break;
      case '4': c = 'a'; break;
      case '5': c = 's'; break;
      default: break;
    }
  }
}

bool any_term_in(const std::vector<std::string>& terms, const std::string& words) {
  return std::any_of(terms.begin(), terms.end(),
                     [&](const std::string& term) { return words.find(term) != std::string::npos; });
}

// The compiled regexes. RE2 objects are thread-safe, but their DFA caches
// sit behind a lock that threads fight over whenever the cache grows, which
// kept two threads at the speed of one; so every thread compiles its own.
struct Compiled {
  std::unique_ptr<RE2::Set> set;
  std::vector<uint32_t> set_rules;             // the rule of each pattern in the set
  std::vector<std::unique_ptr<RE2>> regexes;  // one per rule; null for a detector rule
  std::vector<std::vector<std::unique_ptr<RE2>>> allow_regexes;
};

std::atomic<uint64_t> next_scanner_id{1};

}  // namespace

struct Scanner::Impl {
  Options options;
  std::vector<RulePack> packs;
  std::vector<Rule> rules;
  std::vector<int> value_groups;                         // capture group index per rule; 0: the whole match
  std::vector<std::vector<std::string>> context_terms;   // tokenised
  std::vector<std::vector<std::string>> negative_terms;  // tokenised
  std::vector<uint32_t> detector_rules;                  // rules with a built-in detector, run on every string
  std::unique_ptr<text::Normalizer> normalizer;
  const uint64_t id = next_scanner_id++;
  mutable std::mutex compiled_mutex;
  mutable std::vector<std::unique_ptr<Compiled>> compiled;  // one per thread that scanned

  Error rule_error(const Rule& rule, const std::string& reason) const {
    return usage_error(rule.file + ":" + std::to_string(rule.line) + ": rule " + rule.id + ": " + reason);
  }

  // Compiles every rule; errors name the rule. Run once at creation to
  // validate, then once per scanning thread (which then cannot fail but for
  // memory).
  Result<std::unique_ptr<Compiled>> compile() const {
    auto out = std::make_unique<Compiled>();
    RE2::Options set_options;
    set_options.set_max_mem(options.set_max_mem);
    set_options.set_log_errors(false);
    out->set = std::make_unique<RE2::Set>(set_options, RE2::UNANCHORED);
    RE2::Options rule_options;
    rule_options.set_max_mem(options.rule_max_mem);
    rule_options.set_log_errors(false);
    for (const Rule& rule : rules) {
      std::vector<std::unique_ptr<RE2>> allows;
      for (const std::string& allow : rule.allow_patterns) {
        auto allow_regex = std::make_unique<RE2>(allow, rule_options);
        if (!allow_regex->ok()) return rule_error(rule, "allow pattern rejected by RE2: " + allow_regex->error());
        allows.push_back(std::move(allow_regex));
      }
      out->allow_regexes.push_back(std::move(allows));
      if (rule.person) {  // a detector: nothing for the set
        out->regexes.push_back(nullptr);
        continue;
      }
      std::string pattern = (rule.case_insensitive || rule.leetspeak ? "(?i)" : "") +
                            (rule.leetspeak ? with_leetspeak(rule.pattern) : rule.pattern);
      auto regex = std::make_unique<RE2>(pattern, rule_options);
      if (!regex->ok()) return rule_error(rule, "pattern rejected by RE2: " + regex->error());
      std::string set_error;
      if (out->set->Add(pattern, &set_error) < 0) return rule_error(rule, "pattern rejected by RE2: " + set_error);
      out->set_rules.push_back(static_cast<uint32_t>(out->regexes.size()));
      out->regexes.push_back(std::move(regex));
    }
    if (!out->set_rules.empty() && !out->set->Compile()) {
      return usage_error("the rule set does not fit its memory budget (" + std::to_string(options.set_max_mem >> 20) +
                         " MiB): too many or too large patterns");
    }
    return out;
  }

  // Compiles once to validate every pattern, and derives what scans need
  // besides the regexes: unique ids, value groups, tokenised context terms.
  Status prepare() {
    std::set<std::string> ids;
    Result<std::unique_ptr<Compiled>> first = compile();
    if (!first.ok()) return first.error();
    for (size_t i = 0; i < rules.size(); ++i) {
      const Rule& rule = rules[i];
      if (!ids.insert(rule.id).second) return rule_error(rule, "duplicate rule id");
      if (!rule.detector.empty() && !rule.person) return rule_error(rule, "detector '" + rule.detector + "' not loaded");
      if (rule.person) detector_rules.push_back(static_cast<uint32_t>(i));
      int group = 0;
      if (!rule.value_group.empty() && !rule.person) {
        const auto& named_groups = first.value()->regexes[i]->NamedCapturingGroups();
        auto named = named_groups.find(rule.value_group);
        if (named == named_groups.end()) {
          return rule_error(rule, "value_group '" + rule.value_group + "' is not a named group (?P<" +
                                      rule.value_group + ">...) of the pattern");
        }
        group = named->second;
      }
      std::vector<std::string> context, negative;
      for (const std::string& term : rule.context.words) context.push_back(tokenized_term(term));
      for (const std::string& term : rule.negative_context.words) negative.push_back(tokenized_term(term));
      value_groups.push_back(group);
      context_terms.push_back(std::move(context));
      negative_terms.push_back(std::move(negative));
    }
    return ok_status();
  }

  // This thread's compiled regexes, made on the thread's first scan.
  Result<const Compiled*> for_this_thread() const {
    thread_local std::vector<std::pair<uint64_t, const Compiled*>> mine;  // scanner id -> its copy
    for (const auto& [scanner, copy] : mine) {
      if (scanner == id) return copy;
    }
    Result<std::unique_ptr<Compiled>> made = compile();
    if (!made.ok()) return made.error();
    std::lock_guard lock(compiled_mutex);
    compiled.push_back(std::move(made.value()));
    mine.emplace_back(id, compiled.back().get());
    return compiled.back().get();
  }

  // Runs one set over `text` and collects the candidates of the rules it
  // reports. An out-of-memory set is an error, never "no match".
  Status match_set(const Compiled& compiled, std::string_view text, std::vector<Candidate>& out) const {
    for (uint32_t index : detector_rules) collect(compiled, index, text, out);
    if (compiled.set_rules.empty()) return ok_status();
    thread_local std::vector<int> matched;
    matched.clear();
    RE2::Set::ErrorInfo error{};
    if (!compiled.set->Match(re2::StringPiece(text.data(), text.size()), &matched, &error)) {
      if (error.kind == RE2::Set::kNoError) return ok_status();
      return internal_error(error.kind == RE2::Set::kOutOfMemory
                                ? "the rule set ran out of memory on a string; raise its budget rather than "
                                  "let a string through unscanned"
                                : "the rule set gave an inconsistent result");
    }
    std::sort(matched.begin(), matched.end());
    for (int index : matched) collect(compiled, compiled.set_rules[static_cast<size_t>(index)], text, out);
    return ok_status();
  }

  bool accepted(const Compiled& regexes, uint32_t index, std::string_view value) const {
    const Rule& rule = rules[index];
    for (const ValidatorUse& use : rule.validators) {
      if (!use.validator->check(value, use.params)) return false;
    }
    if (std::find(rule.allow.begin(), rule.allow.end(), value) != rule.allow.end()) return false;
    for (const auto& allow : regexes.allow_regexes[index]) {
      if (RE2::FullMatch(value, *allow)) return false;
    }
    return true;
  }

  // `base` (the rule's score, or what its detector gave) adjusted by context.
  double score(uint32_t index, double base, std::string_view view, size_t begin, size_t end) const {
    const Rule& rule = rules[index];
    double score = base;
    if (context_terms[index].empty() && negative_terms[index].empty()) return score;
    thread_local std::string words;
    auto adjusted = [&](const ContextWords& context, const std::vector<std::string>& terms, double sign) {
      if (terms.empty()) return;
      auto [from, to] = context_window(view, begin, end, context.window);
      words.clear();
      append_words(view.substr(from, begin - from), words);
      append_words(view.substr(end, to - end), words);
      words += ' ';
      if (rule.leetspeak) undo_leet_digits(words);  // "cr34t3" is "create" for context too
      if (any_term_in(terms, words)) score += sign * context.adjust;
    };
    adjusted(rule.context, context_terms[index], +1);
    adjusted(rule.negative_context, negative_terms[index], -1);
    return std::clamp(score, 0.0, 1.0);
  }

  // Every accepted match of one rule, left to right, without overlaps.
  void collect(const Compiled& compiled, uint32_t index, std::string_view view, std::vector<Candidate>& out) const {
    if (rules[index].person) return collect_names(compiled, index, view, out);
    const RE2& regex = *compiled.regexes[index];
    int group = value_groups[index];
    std::vector<re2::StringPiece> parts(static_cast<size_t>(group) + 1);
    re2::StringPiece text(view.data(), view.size());
    size_t pos = 0;
    while (pos <= view.size() && out.size() < kMaxCandidatesPerString) {
      if (!regex.Match(text, pos, view.size(), RE2::UNANCHORED, parts.data(), group + 1)) break;
      re2::StringPiece whole = parts[0];
      re2::StringPiece value = parts[static_cast<size_t>(group)].data() ? parts[static_cast<size_t>(group)] : whole;
      size_t match_end = static_cast<size_t>(whole.data() - view.data()) + whole.size();
      pos = whole.empty() ? match_end + 1 : match_end;
      while (pos < view.size() && (static_cast<unsigned char>(view[pos]) & 0xC0) == 0x80) ++pos;
      if (value.empty()) continue;
      size_t begin = static_cast<size_t>(value.data() - view.data());
      size_t end = begin + value.size();
      if (!accepted(compiled, index, view.substr(begin, value.size()))) continue;
      out.push_back({begin, end, score(index, rules[index].score, view, begin, end), index});
    }
  }

  void collect_names(const Compiled& compiled, uint32_t index, std::string_view view,
                     std::vector<Candidate>& out) const {
    thread_local std::vector<PersonSpan> names;
    names.clear();
    rules[index].person->find(view, names);
    for (const PersonSpan& name : names) {
      if (out.size() >= kMaxCandidatesPerString) break;
      if (!accepted(compiled, index, view.substr(name.begin, name.end - name.begin))) continue;
      out.push_back({name.begin, name.end, score(index, name.score, view, name.begin, name.end), index});
    }
  }

  void to_findings(const text::NormalizedText& normalized, std::string_view original,
                   const std::vector<Candidate>& candidates, std::vector<Finding>& findings) const {
    for (const Candidate& c : candidates) {
      auto [begin, end] = normalized.to_original(c.begin, c.end);
      Finding finding;
      finding.byte_start = begin;
      finding.byte_end = end;
      finding.start = text::code_points_before(original, begin);
      finding.end = finding.start + text::code_points_before(original.substr(begin), end - begin);
      finding.rule = c.rule;
      finding.score = c.score;
      findings.push_back(finding);
    }
  }
};

Result<std::unique_ptr<Scanner>> Scanner::create(std::vector<RulePack> packs, Options options) {
  std::unique_ptr<Scanner> scanner(new Scanner());
  scanner->impl_ = std::make_unique<Impl>();
  Impl& impl = *scanner->impl_;
  impl.options = options;
  for (const RulePack& pack : packs) impl.rules.insert(impl.rules.end(), pack.rules.begin(), pack.rules.end());
  impl.packs = std::move(packs);
  Result<std::unique_ptr<text::Normalizer>> normalizer = text::Normalizer::create();
  if (!normalizer.ok()) return normalizer.error();
  impl.normalizer = std::move(normalizer.value());
  Status prepared = impl.prepare();
  if (!prepared.ok()) return prepared.error();
  return scanner;
}

Scanner::~Scanner() = default;

std::string with_leetspeak(std::string_view pattern) {
  std::string out;
  int class_depth = 0;  // inside [...]: left alone
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {  // an escape: \s, \b, \x41, \p{L}… stays as written
      out += c;
      out += pattern[++i];
      continue;
    }
    if (c == '(' && i + 1 < pattern.size() && pattern[i + 1] == '?') {  // (?i), (?:, (?P<name>: no letters to fold
      size_t end = pattern.find_first_of(":)>", i);
      if (end == std::string_view::npos) end = pattern.size() - 1;
      out.append(pattern.substr(i, end - i + 1));
      i = end;
      continue;
    }
    if (c == '{') {  // a repetition count
      size_t end = pattern.find('}', i);
      if (end != std::string_view::npos) {
        out.append(pattern.substr(i, end - i + 1));
        i = end;
        continue;
      }
    }
    if (c == '[') ++class_depth;
    if (c == ']' && class_depth > 0) --class_depth;
    const char* variants = nullptr;
    switch (class_depth == 0 ? std::tolower(static_cast<unsigned char>(c)) : 0) {
      case 'o': variants = "[o0]"; break;
      case 'i': variants = "[i1]"; break;
      case 'e': variants = "[e3]"; break;
      case 'a': variants = "[a4@]"; break;
      case 's': variants = "[s5$]"; break;
      default: break;
    }
    if (variants) {
      out += variants;
    } else {
      out += c;
    }
  }
  return out;
}

const std::vector<Rule>& Scanner::rules() const { return impl_->rules; }
const std::vector<RulePack>& Scanner::packs() const { return impl_->packs; }
const Scanner::Options& Scanner::options() const { return impl_->options; }

Status Scanner::scan(std::string_view text, std::vector<Finding>& findings) const {
  const Impl& impl = *impl_;
  if (impl.rules.empty()) return ok_status();
  thread_local text::NormalizedText normalized;
  thread_local std::vector<Candidate> candidates;
  thread_local std::vector<Candidate> kept;
  Result<const Compiled*> compiled = impl.for_this_thread();
  if (!compiled.ok()) return compiled.error();
  Status normalised = impl.normalizer->normalize(text, normalized);
  if (!normalised.ok()) return normalised;
  std::string_view view = normalized.view();
  candidates.clear();
  if (Status s = impl.match_set(*compiled.value(), view, candidates); !s.ok()) return s;
  // Overlaps: higher score, then longer span, then rule order wins.
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.end - a.begin != b.end - b.begin) return a.end - a.begin > b.end - b.begin;
    if (a.rule != b.rule) return a.rule < b.rule;
    return a.begin < b.begin;
  });
  kept.clear();
  for (const Candidate& c : candidates) {
    if (c.score < impl.options.min_score) continue;
    bool overlaps =
        std::any_of(kept.begin(), kept.end(), [&](const Candidate& k) { return c.begin < k.end && k.begin < c.end; });
    if (!overlaps) kept.push_back(c);
  }
  std::sort(kept.begin(), kept.end(), [](const Candidate& a, const Candidate& b) { return a.begin < b.begin; });
  impl.to_findings(normalized, text, kept, findings);
  return ok_status();
}

Status Scanner::scan_rule(size_t rule, std::string_view text, std::vector<Finding>& findings) const {
  const Impl& impl = *impl_;
  text::NormalizedText normalized;
  Status normalised = impl.normalizer->normalize(text, normalized);
  if (!normalised.ok()) return normalised;
  Result<const Compiled*> compiled = impl.for_this_thread();
  if (!compiled.ok()) return compiled.error();
  std::vector<Candidate> candidates;
  impl.collect(*compiled.value(), static_cast<uint32_t>(rule), normalized.view(), candidates);
  impl.to_findings(normalized, text, candidates, findings);
  return ok_status();
}

Result<std::vector<ExampleFailure>> check_examples(const Scanner& scanner) {
  std::vector<ExampleFailure> failures;
  const std::vector<Rule>& rules = scanner.rules();
  for (size_t i = 0; i < rules.size(); ++i) {
    for (bool should_match : {true, false}) {
      for (const std::string& example : should_match ? rules[i].match_examples : rules[i].no_match_examples) {
        std::vector<Finding> found;
        Status s = scanner.scan_rule(i, example, found);
        if (!s.ok()) return s.error();
        bool reported = std::any_of(found.begin(), found.end(),
                                    [](const Finding& f) { return f.score >= kExampleMinScore; });
        if (reported != should_match) failures.push_back({&rules[i], example, should_match});
      }
    }
  }
  return failures;
}

}  // namespace airlock::detect
