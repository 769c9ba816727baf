// Loading rule packs from YAML, refusing anything malformed with the file,
// line and rule in the message.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "detect/detect.h"
#include "io/io.h"

namespace airlock::detect {
namespace {

constexpr size_t kMaxPackBytes = 16u << 20;

// Collects the location of a problem as the loader walks the document.
class PackReader {
 public:
  PackReader(std::string file) : file_(std::move(file)) {}

  Error error_at(const YAML::Node& node, const std::string& rule_id, const std::string& reason) const {
    std::string where = file_;
    if (node.IsDefined() && node.Mark().line >= 0) where += ":" + std::to_string(node.Mark().line + 1);
    return usage_error(where + ": " + (rule_id.empty() ? "" : "rule " + rule_id + ": ") + reason);
  }

  Result<std::string> scalar(const YAML::Node& node, const std::string& rule_id, const std::string& key) const {
    if (!node.IsScalar()) return error_at(node, rule_id, "'" + key + "' must be a string");
    return node.Scalar();
  }

  Result<std::vector<std::string>> strings(const YAML::Node& node, const std::string& rule_id,
                                           const std::string& key) const {
    if (!node.IsSequence()) return error_at(node, rule_id, "'" + key + "' must be a list of strings");
    std::vector<std::string> out;
    for (const YAML::Node& item : node) {
      if (!item.IsScalar()) return error_at(item, rule_id, "'" + key + "' must be a list of strings");
      out.push_back(item.Scalar());
    }
    return out;
  }

  Result<double> number(const YAML::Node& node, const std::string& rule_id, const std::string& key, double min,
                        double max) const {
    double value = 0;
    if (!node.IsScalar() || !YAML::convert<double>::decode(node, value) || !(value >= min && value <= max)) {
      std::ostringstream range;
      range << min << " to " << max;
      return error_at(node, rule_id, "'" + key + "' must be a number from " + range.str());
    }
    return value;
  }

  Status check_keys(const YAML::Node& map, const std::string& rule_id, std::initializer_list<const char*> allowed,
                    const std::string& what) const {
    for (const auto& entry : map) {
      std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "?";
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
        return error_at(entry.first, rule_id, "unknown key '" + key + "' in " + what);
      }
    }
    return ok_status();
  }

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
                             {"id", "entity", "pattern", "score", "flags", "value_group", "validators", "context",
                              "negative_context", "allow", "allow_patterns", "examples", "description"},
                             "a rule");
    if (!keys.ok()) return keys.error();
    Rule rule;
    rule.id = id;
    rule.file = file_;
    rule.line = node.Mark().line + 1;
    for (const char* required : {"entity", "pattern", "score"}) {
      if (!node[required]) return error_at(node, id, std::string("missing '") + required + "'");
    }
    Result<std::string> entity = scalar(node["entity"], id, "entity");
    if (!entity.ok()) return entity.error();
    rule.entity = entity.value();
    bool entity_ok = !rule.entity.empty() && std::isupper(static_cast<unsigned char>(rule.entity[0])) &&
                     std::all_of(rule.entity.begin(), rule.entity.end(),
                                 [](unsigned char c) { return std::isupper(c) || std::isdigit(c) || c == '_'; });
    if (!entity_ok) return error_at(node["entity"], id, "entity must be upper case letters, digits and '_'");
    Result<std::string> pattern = scalar(node["pattern"], id, "pattern");
    if (!pattern.ok()) return pattern.error();
    rule.pattern = pattern.value();
    Result<double> score = number(node["score"], id, "score", 0, 1);
    if (!score.ok()) return score.error();
    rule.score = score.value();
    if (node["flags"]) {
      Result<std::vector<std::string>> flags = strings(node["flags"], id, "flags");
      if (!flags.ok()) return flags.error();
      for (const std::string& flag : flags.value()) {
        if (flag != "case_insensitive") return error_at(node["flags"], id, "unknown flag '" + flag + "'");
        rule.case_insensitive = true;
      }
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
    pack.file = file_;
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
  std::string file_;
};

}  // namespace

Result<RulePack> load_pack(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return usage_error(path + ": cannot open rule pack");
  std::string bytes;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    bytes.append(buffer, static_cast<size_t>(in.gcount()));
    if (bytes.size() > kMaxPackBytes) return usage_error(path + ": rule pack larger than 16 MiB");
  }
  PackReader reader(path);
  Result<RulePack> pack = usage_error(path + ": not loaded");
  try {
    pack = reader.pack(YAML::Load(bytes));
  } catch (const YAML::Exception& e) {
    return usage_error(path + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    return usage_error(path + ": invalid YAML: " + e.what());
  }
  if (!pack.ok()) return pack;
  io::Sha256 digest;
  digest.update(bytes);
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
