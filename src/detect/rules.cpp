// Loading rule packs from YAML, refusing anything malformed with the file,
// line and rule in the message.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <re2/re2.h>

#include "config/yaml_reader.h"
#include "detect/detect.h"
#include "detect/person.h"
#include "io/io.h"

namespace airlock::detect {
namespace {

// Walks a pack's document; errors name the file, line and rule.
class PackReader : public config::YamlReader {
 public:
  explicit PackReader(std::string file) : YamlReader(std::move(file), "rule ") {}
  // Every lexicon file the pack's rules read, in the order named.
  const std::vector<std::string>& lexicon_files() const { return lexicon_files_; }

  Result<ContextWords> context(const YAML::Node& node, const std::string& rule_id, const std::string& key,
                               double default_adjust) const {
    ContextWords context;
    context.adjust = default_adjust;
    // Constructed, never assigned: assigning a YAML::Node writes through to
    // the node it refers to.
    const YAML::Node words = node.IsMap() ? node["words"] : node;
    if (node.IsMap()) {
      Status keys = check_keys(node, rule_id, {"words", "window", "boost", "penalty"}, "'" + key + "'");
      if (!keys.ok()) return keys.error();
      if (!words) return error_at(node, rule_id, "'" + key + "' needs 'words'");
      if (node["window"]) {
        Result<double> window = number(node["window"], rule_id, "window", 1, 50);
        if (!window.ok()) return window.error();
        context.window = static_cast<size_t>(window.value());
      }
      for (const char* adjust_key : {"boost", "penalty"}) {
        if (!node[adjust_key]) continue;
        Result<double> adjust = number(node[adjust_key], rule_id, adjust_key, 0, 1);
        if (!adjust.ok()) return adjust.error();
        context.adjust = adjust.value();
      }
    }
    Result<std::vector<std::string>> list = strings(words, rule_id, key);
    if (!list.ok()) return list.error();
    for (std::string& word : list.value()) {
      std::transform(word.begin(), word.end(), word.begin(), [](unsigned char c) { return std::tolower(c); });
      if (!word.empty()) context.words.push_back(word);
    }
    return context;
  }

  // An organisation's term list (one term or phrase a line, '#' comments),
  // relative to the pack, as one pattern of whole-word alternatives; the
  // words of a phrase may be separated by any white space.
  Result<std::string> terms_pattern(const YAML::Node& node, const std::string& rule_id) const {
    Result<std::string> name = scalar(node, rule_id, "terms_file");
    if (!name.ok()) return name.error();
    std::filesystem::path path = name.value();
    if (path.is_relative()) path = std::filesystem::path(file()).parent_path() / path;
    std::ifstream in(path);
    if (!in) return error_at(node, rule_id, "cannot open terms_file " + path.string());
    std::string alternatives;
    size_t count = 0;
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t first = line.find_first_not_of(" \t");
      if (first == std::string::npos || line[first] == '#') continue;
      std::istringstream words(line);
      std::string word, term;
      while (words >> word) term += (term.empty() ? "" : "\\s+") + RE2::QuoteMeta(word);
      alternatives += (count++ ? "|" : "") + term;
      if (count > 100000) return error_at(node, rule_id, "terms_file has more than 100,000 terms");
    }
    if (count == 0) return error_at(node, rule_id, "terms_file " + path.string() + " holds no term");
    return "\\b(?:" + alternatives + ")\\b";
  }

  // A lexicon file named by a pack: beside the pack if it is there, else in
  // the lexicon folder (AIRLOCK_LEXICONS, or the one the build writes).
  Result<std::string> lexicon_path(const YAML::Node& node, const std::string& rule_id, const std::string& name) const {
    std::filesystem::path path = name;
    if (path.is_absolute()) return path.string();
    std::filesystem::path beside = std::filesystem::path(file()).parent_path() / path;
    std::error_code ec;
    if (std::filesystem::exists(beside, ec)) return beside.string();
    const char* from_env = std::getenv("AIRLOCK_LEXICONS");
    std::filesystem::path folder = from_env && *from_env ? from_env : AIRLOCK_LEXICON_DIR;
    if (std::filesystem::exists(folder / path, ec)) return (folder / path).string();
    return error_at(node, rule_id,
                    "lexicon '" + name + "' is neither beside the pack nor in " + folder.string() +
                        ": the build makes the shipped lexicons from the name lists tools/setup installs "
                        "(run tools/setup, then build), or set AIRLOCK_LEXICONS to a folder that has it");
  }

  Result<PersonLexiconFiles> lexicons(const YAML::Node& node, const std::string& rule_id) const {
    if (!node.IsMap()) {
      return error_at(node, rule_id, "'lexicons' must be {first_names: [...], last_names: [...], words: [...]}");
    }
    Status keys = check_keys(node, rule_id, {"first_names", "last_names", "words", "not_words"}, "'lexicons'");
    if (!keys.ok()) return keys.error();
    PersonLexiconFiles files;
    for (auto [key, target] : {std::pair{"first_names", &files.first_names}, std::pair{"last_names", &files.last_names},
                               std::pair{"words", &files.words}, std::pair{"not_words", &files.not_words}}) {
      if (!node[key]) {
        // Optional: without words no name needs a cue.
        if (std::string(key) == "words" || std::string(key) == "not_words") continue;
        return error_at(node, rule_id, std::string("'lexicons' needs '") + key + "'");
      }
      Result<std::vector<std::string>> names = strings(node[key], rule_id, std::string("lexicons.") + key);
      if (!names.ok()) return names.error();
      for (const std::string& name : names.value()) {
        Result<std::string> path = lexicon_path(node[key], rule_id, name);
        if (!path.ok()) return path.error();
        target->push_back(path.value());
        lexicon_files_.push_back(path.value());
      }
    }
    return files;
  }

  Result<PersonScores> person_scores(const YAML::Node& node, const std::string& rule_id, double pair) const {
    PersonScores scores;
    scores.pair = pair;
    if (!node) return scores;
    if (!node.IsMap()) return error_at(node, rule_id, "'person_scores' must be a mapping");
    Status keys = check_keys(node, rule_id, {"pair_with_word", "single_name", "name_word", "cue", "cue_unknown"},
                             "'person_scores'");
    if (!keys.ok()) return keys.error();
    for (auto [key, target] :
         {std::pair{"pair_with_word", &scores.pair_with_word}, std::pair{"single_name", &scores.single_name},
          std::pair{"name_word", &scores.name_word}, std::pair{"cue", &scores.cue},
          std::pair{"cue_unknown", &scores.cue_unknown}}) {
      if (!node[key]) continue;
      Result<double> value = number(node[key], rule_id, std::string("person_scores.") + key, 0, 1);
      if (!value.ok()) return value.error();
      *target = value.value();
    }
    return scores;
  }

  // `detector: person`: no pattern; lexicons and scores instead.
  Status person_detector(const YAML::Node& node, Rule& rule) const {
    for (const char* key : {"pattern", "terms_file", "flags", "value_group"}) {
      if (node[key]) return error_at(node[key], rule.id, std::string("'") + key + "' does not apply to a detector rule");
    }
    if (!node["lexicons"]) return error_at(node, rule.id, "a person rule needs 'lexicons'");
    Result<PersonLexiconFiles> files = lexicons(node["lexicons"], rule.id);
    if (!files.ok()) return files.error();
    Result<PersonScores> scores = person_scores(node["person_scores"], rule.id, rule.score);
    if (!scores.ok()) return scores.error();
    Result<std::shared_ptr<const PersonDetector>> detector = PersonDetector::load(files.value(), scores.value());
    if (!detector.ok()) return error_at(node["lexicons"], rule.id, detector.error().message);
    rule.person = std::move(detector.value());
    return ok_status();
  }

  Result<ValidatorUse> validator(const YAML::Node& node, const std::string& rule_id) const {
    ValidatorUse use;
    std::string name;
    if (node.IsScalar()) {
      name = node.Scalar();
    } else if (node.IsMap() && node["name"] && node["name"].IsScalar()) {
      name = node["name"].Scalar();
      for (const auto& entry : node) {
        if (entry.first.Scalar() == "name") continue;
        if (!entry.second.IsScalar()) return error_at(entry.second, rule_id, "validator parameters must be strings");
        use.params[entry.first.Scalar()] = entry.second.Scalar();
      }
    } else {
      return error_at(node, rule_id, "a validator is a name or {name: ..., parameters...}");
    }
    use.validator = find_validator(name);
    if (!use.validator) return error_at(node, rule_id, "unknown validator '" + name + "'");
    Status params = use.validator->check_params(use.params);
    if (!params.ok()) return error_at(node, rule_id, "validator " + name + ": " + params.error().message);
    return use;
  }

  Result<Rule> rule(const YAML::Node& node) const {
    if (!node.IsMap()) return error_at(node, "", "each rule must be a mapping");
    std::string id = node["id"] && node["id"].IsScalar() ? node["id"].Scalar() : "";
    if (id.empty()) return error_at(node, "", "a rule needs an 'id'");
    Status keys = check_keys(node, id,
                             {"id", "entity", "pattern", "terms_file", "score", "flags", "value_group", "validators",
                              "context", "negative_context", "allow", "allow_patterns", "examples", "description",
                              "category", "severity", "detector", "lexicons", "person_scores"},
                             "a rule");
    if (!keys.ok()) return keys.error();
    Rule rule;
    rule.id = id;
    rule.file = file();
    rule.line = node.Mark().line + 1;
    for (const char* required : {"entity", "score"}) {
      if (!node[required]) return error_at(node, id, std::string("missing '") + required + "'");
    }
    if (!node["pattern"] && !node["terms_file"] && !node["detector"]) {
      return error_at(node, id, "missing 'pattern' (or 'terms_file', or 'detector')");
    }
    for (const char* key : {"lexicons", "person_scores"}) {
      if (node[key] && !node["detector"]) return error_at(node[key], id, std::string("'") + key + "' needs 'detector: person'");
    }
    Result<std::string> entity = scalar(node["entity"], id, "entity");
    if (!entity.ok()) return entity.error();
    rule.entity = entity.value();
    bool entity_ok = !rule.entity.empty() && std::isupper(static_cast<unsigned char>(rule.entity[0])) &&
                     std::all_of(rule.entity.begin(), rule.entity.end(),
                                 [](unsigned char c) { return std::isupper(c) || std::isdigit(c) || c == '_'; });
    if (!entity_ok) return error_at(node["entity"], id, "entity must be upper case letters, digits and '_'");
    if (node["pattern"]) {
      Result<std::string> pattern = scalar(node["pattern"], id, "pattern");
      if (!pattern.ok()) return pattern.error();
      rule.pattern = pattern.value();
    }
    if (node["terms_file"]) {
      Result<std::string> terms = terms_pattern(node["terms_file"], id);
      if (!terms.ok()) return terms.error();
      rule.pattern = rule.pattern.empty() ? terms.value() : "(?:" + rule.pattern + ")|" + terms.value();
    }
    Result<double> score = number(node["score"], id, "score", 0, 1);
    if (!score.ok()) return score.error();
    rule.score = score.value();
    if (node["detector"]) {
      Result<std::string> detector = scalar(node["detector"], id, "detector");
      if (!detector.ok()) return detector.error();
      if (detector.value() != "person") return error_at(node["detector"], id, "unknown detector '" + detector.value() + "' (person)");
      rule.detector = detector.value();
      if (Status s = person_detector(node, rule); !s.ok()) return s.error();
    }
    if (node["flags"]) {
      Result<std::vector<std::string>> flags = strings(node["flags"], id, "flags");
      if (!flags.ok()) return flags.error();
      for (const std::string& flag : flags.value()) {
        if (flag == "case_insensitive") {
          rule.case_insensitive = true;
        } else if (flag == "leetspeak") {
          rule.leetspeak = true;
        } else {
          return error_at(node["flags"], id, "unknown flag '" + flag + "' (case_insensitive, leetspeak)");
        }
      }
    }
    if (node["category"]) {
      Result<std::string> category = scalar(node["category"], id, "category");
      if (!category.ok()) return category.error();
      rule.category = category.value();
    }
    if (node["severity"]) {
      Result<double> severity = number(node["severity"], id, "severity", 1, 5);
      if (!severity.ok()) return severity.error();
      rule.severity = static_cast<int>(severity.value());
    }
    if (node["value_group"]) {
      Result<std::string> group = scalar(node["value_group"], id, "value_group");
      if (!group.ok()) return group.error();
      rule.value_group = group.value();
    }
    if (node["validators"]) {
      if (!node["validators"].IsSequence()) return error_at(node["validators"], id, "'validators' must be a list");
      for (const YAML::Node& item : node["validators"]) {
        Result<ValidatorUse> use = validator(item, id);
        if (!use.ok()) return use.error();
        rule.validators.push_back(std::move(use.value()));
      }
    }
    if (node["context"]) {
      Result<ContextWords> context = this->context(node["context"], id, "context", 0.25);
      if (!context.ok()) return context.error();
      rule.context = std::move(context.value());
    }
    if (node["negative_context"]) {
      Result<ContextWords> context = this->context(node["negative_context"], id, "negative_context", 0.35);
      if (!context.ok()) return context.error();
      rule.negative_context = std::move(context.value());
    }
    for (auto [key, target] : {std::pair{"allow", &rule.allow}, std::pair{"allow_patterns", &rule.allow_patterns}}) {
      if (!node[key]) continue;
      Result<std::vector<std::string>> list = strings(node[key], id, key);
      if (!list.ok()) return list.error();
      *target = std::move(list.value());
    }
    if (node["examples"]) {
      const YAML::Node& examples = node["examples"];
      if (!examples.IsMap()) return error_at(examples, id, "'examples' must be {match: [...], no_match: [...]}");
      Status example_keys = check_keys(examples, id, {"match", "no_match"}, "'examples'");
      if (!example_keys.ok()) return example_keys.error();
      for (auto [key, target] :
           {std::pair{"match", &rule.match_examples}, std::pair{"no_match", &rule.no_match_examples}}) {
        if (!examples[key]) continue;
        Result<std::vector<std::string>> list = strings(examples[key], id, std::string("examples.") + key);
        if (!list.ok()) return list.error();
        *target = std::move(list.value());
      }
    }
    return rule;
  }

  Result<RulePack> pack(const YAML::Node& root) const {
    if (!root.IsMap()) return error_at(root, "", "a rule pack is a mapping with 'pack', 'version' and 'rules'");
    Status keys = check_keys(root, "", {"pack", "version", "description", "rules"}, "the pack");
    if (!keys.ok()) return keys.error();
    RulePack pack;
    pack.file = file();
    for (auto [key, target] : {std::pair{"pack", &pack.name}, std::pair{"version", &pack.version}}) {
      if (!root[key]) return error_at(root, "", std::string("missing '") + key + "'");
      Result<std::string> value = scalar(root[key], "", key);
      if (!value.ok()) return value.error();
      *target = value.value();
    }
    if (root["description"] && root["description"].IsScalar()) pack.description = root["description"].Scalar();
    if (!root["rules"] || !root["rules"].IsSequence()) return error_at(root, "", "'rules' must be a list");
    for (const YAML::Node& node : root["rules"]) {
      Result<Rule> rule = this->rule(node);
      if (!rule.ok()) return rule.error();
      rule->pack = pack.name;
      pack.rules.push_back(std::move(rule.value()));
    }
    return pack;
  }

 private:
  mutable std::vector<std::string> lexicon_files_;  // filled while reading
};

}  // namespace

Result<RulePack> load_pack(const std::string& path) {
  std::string bytes;
  Result<YAML::Node> root = config::load_yaml_file(path, &bytes);
  if (!root.ok()) return root.error();
  PackReader reader(path);
  Result<RulePack> pack = reader.pack(root.value());
  if (!pack.ok()) return pack;
  // The pack's digest covers what decides its findings: the file, and the
  // lexicons its rules read (each after a line naming it).
  io::Sha256 digest;
  digest.update(bytes);
  for (const std::string& lexicon : reader.lexicon_files()) {
    std::ifstream in(lexicon, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    if (!in) return usage_error(path + ": cannot read lexicon " + lexicon);
    digest.update("\n--- lexicon " + std::filesystem::path(lexicon).filename().string() + "\n");
    digest.update(content.str());
  }
  pack->sha256 = digest.hex_digest();
  return pack;
}

Result<std::vector<RulePack>> load_packs(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
        std::string ext = entry.path().extension().string();
        if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) found.push_back(entry.path().string());
      }
      if (ec) return usage_error(path + ": cannot list rule folder: " + ec.message());
      std::sort(found.begin(), found.end());
      if (found.empty()) return usage_error(path + ": no rule packs (*.yaml) in this folder");
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(path);
    }
  }
  if (files.empty()) return usage_error("no rule packs given");
  std::vector<RulePack> packs;
  for (const std::string& file : files) {
    Result<RulePack> pack = load_pack(file);
    if (!pack.ok()) return pack.error();
    packs.push_back(std::move(pack.value()));
  }
  return packs;
}

}  // namespace airlock::detect
