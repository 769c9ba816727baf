// Loading policies, choosing actions, transforming values.
#include "policy/policy.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>

#include "config/yaml_reader.h"
#include "crypto/keyed_hash.h"

namespace airlock::policy {
namespace {

constexpr int kMaxExtendsDepth = 8;

std::string folder_of(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

// "pii" names a shipped pack; anything with a '/' or a .yaml ending is a
// path relative to the policy's folder.
std::string resolve_pack(const std::string& name, const std::string& policy_folder, const std::string& builtin) {
  bool is_path = name.find('/') != std::string::npos || name.ends_with(".yaml") || name.ends_with(".yml");
  if (!is_path) return builtin + "/" + name + ".yaml";
  if (!name.empty() && name[0] == '/') return name;
  return policy_folder + "/" + name;
}

size_t literal_length(std::string_view pattern) {
  return static_cast<size_t>(std::count_if(pattern.begin(), pattern.end(), [](char c) { return c != '*'; }));
}

class PolicyReader : public config::YamlReader {
 public:
  PolicyReader(std::string file, std::string builtin_rules_dir)
      : YamlReader(std::move(file), ""), builtin_(std::move(builtin_rules_dir)) {}

  // Reads `root` over `policy` (which holds what the file extends).
  Status read(const YAML::Node& root, Policy& policy) const {
    if (!root.IsMap()) return error_at(root, "", "a policy is a mapping (see docs/policies.md)");
    Status keys = check_keys(root, "",
                             {"policy", "version", "description", "extends", "rules", "fields", "min_score",
                              "placeholder", "actions", "reject", "gate", "recipients", "reversible"},
                             "the policy");
    if (!keys.ok()) return keys;
    for (auto [key, target] : {std::pair{"policy", &policy.name}, std::pair{"version", &policy.version},
                               std::pair{"description", &policy.description}, std::pair{"fields", &policy.fields},
                               std::pair{"placeholder", &policy.placeholder}}) {
      if (!root[key]) continue;
      Result<std::string> value = scalar(root[key], "", key);
      if (!value.ok()) return value.error();
      *target = value.value();
    }
    if (policy.placeholder.find("{entity}") == std::string::npos && root["placeholder"]) {
      return error_at(root["placeholder"], "", "'placeholder' must contain {entity}");
    }
    if (root["rules"]) {
      Result<std::vector<std::string>> packs = strings(root["rules"], "", "rules");
      if (!packs.ok()) return packs.error();
      policy.rule_packs.clear();
      for (const std::string& pack : packs.value()) {
        policy.rule_packs.push_back(resolve_pack(pack, folder_of(file()), builtin_));
      }
    }
    if (root["min_score"]) {
      Result<double> score = number(root["min_score"], "", "min_score", 0, 1);
      if (!score.ok()) return score.error();
      policy.min_score = score.value();
    }
    if (root["actions"]) {
      Status actions = read_actions(root["actions"], policy);
      if (!actions.ok()) return actions;
    }
    if (root["reject"]) {
      Status reject = read_reject(root["reject"], policy);
      if (!reject.ok()) return reject;
    }
    if (root["gate"]) {
      const YAML::Node& gate = root["gate"];
      if (!gate.IsMap()) return error_at(gate, "", "'gate' must be a mapping");
      Status gate_keys = check_keys(gate, "", {"max_quarantine_rate", "max_findings"}, "'gate'");
      if (!gate_keys.ok()) return gate_keys;
      if (gate["max_findings"]) {
        const YAML::Node& limits = gate["max_findings"];
        if (!limits.IsMap()) return error_at(limits, "", "'gate.max_findings' must map entities to counts");
        policy.gate_max_findings.clear();
        for (const auto& entry : limits) {
          Result<double> max = number(entry.second, "", "max_findings." + entry.first.Scalar(), 0, 1e15);
          if (!max.ok()) return max.error();
          policy.gate_max_findings.emplace_back(entry.first.Scalar(), static_cast<uint64_t>(max.value()));
          mention(entry.first, entry.first.Scalar(), policy);
        }
      }
      if (gate["max_quarantine_rate"]) {
        Result<double> rate = number(gate["max_quarantine_rate"], "", "max_quarantine_rate", 0, 1);
        if (!rate.ok()) return rate.error();
        policy.max_quarantine_rate = rate.value();
      }
    }
    if (root["reversible"]) {
      const YAML::Node& node = root["reversible"];
      if (!node.IsScalar() || (node.Scalar() != "true" && node.Scalar() != "false")) {
        return error_at(node, "", "'reversible' must be true or false");
      }
      policy.reversible = node.Scalar() == "true";
    }
    if (policy.reversible) {
      // Only a keyed pseudonym names its value in every record alike, so
      // that `airlock restore` can put the value back wherever it appears.
      for (const EntityAction& a : policy.actions) {
        if (a.action.kind == ActionKind::kPseudonymize && a.action.per_record_numbers) {
          return error_at(root["reversible"] ? root["reversible"] : root, "",
                          "a reversible policy needs keyed pseudonyms: '" + a.pattern + "' is numbered per record");
        }
      }
    }
    if (root["recipients"]) {
      Result<std::vector<std::string>> recipients = strings(root["recipients"], "", "recipients");
      if (!recipients.ok()) return recipients.error();
      policy.recipients = recipients.value();
    }
    return ok_status();
  }

 private:
  Result<Action> action(const YAML::Node& node, const std::string& entity) const {
    Action action;
    std::string name;
    if (node.IsScalar()) {
      name = node.Scalar();
    } else if (node.IsMap() && node["action"] && node["action"].IsScalar()) {
      Status keys = check_keys(node, "", {"action", "keep", "char", "length", "numbering", "to"},
                               "the action for " + entity);
      if (!keys.ok()) return keys.error();
      name = node["action"].Scalar();
      if (node["keep"]) {
        Result<double> keep = number(node["keep"], "", "keep", 0, 64);
        if (!keep.ok()) return keep.error();
        action.keep_last = static_cast<size_t>(keep.value());
      }
      if (node["char"]) {
        if (!node["char"].IsScalar() || node["char"].Scalar().size() != 1) {
          return error_at(node["char"], "", "'char' must be one ASCII character");
        }
        action.mask_char = node["char"].Scalar()[0];
      }
      if (node["length"]) {
        Result<double> length = number(node["length"], "", "length", 4, 64);
        if (!length.ok()) return length.error();
        action.length = static_cast<size_t>(length.value());
      }
      if (node["numbering"]) {
        if (!node["numbering"].IsScalar() || (node["numbering"].Scalar() != "record" && node["numbering"].Scalar() != "none")) {
          return error_at(node["numbering"], "", "'numbering' must be record or none");
        }
        action.per_record_numbers = node["numbering"].Scalar() == "record";
      }
      if (node["to"]) {
        if (!node["to"].IsScalar() || (node["to"].Scalar() != "year" && node["to"].Scalar() != "month")) {
          return error_at(node["to"], "", "'to' must be year or month");
        }
        action.to_month = node["to"].Scalar() == "month";
      }
    } else {
      return error_at(node, "", "the action for " + entity + " must be a name or {action: ..., ...}");
    }
    for (ActionKind kind : {ActionKind::kRedact, ActionKind::kMask, ActionKind::kReject, ActionKind::kFlag,
                            ActionKind::kPseudonymize, ActionKind::kHash, ActionKind::kGeneralize,
                            ActionKind::kSurrogate, ActionKind::kDrop}) {
      if (name == action_name(kind)) {
        action.kind = kind;
        return action;
      }
    }
    return error_at(node, "",
                    "unknown action '" + name + "' for " + entity +
                        " (redact, mask, pseudonymize, surrogate, hash, generalize, drop, reject or flag)");
  }

  void mention(const YAML::Node& node, const std::string& pattern, Policy& policy) const {
    policy.entity_mentions.emplace_back(pattern, file() + ":" + std::to_string(node.Mark().line + 1));
  }
  void mention_all(const YAML::Node& node, const std::vector<std::string>& patterns, Policy& policy) const {
    for (const std::string& pattern : patterns) mention(node, pattern, policy);
  }

  Status read_actions(const YAML::Node& node, Policy& policy) const {
    if (!node.IsMap()) return error_at(node, "", "'actions' must map entities to actions");
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) return error_at(entry.first, "", "an entity name must be a string");
      std::string pattern = entry.first.Scalar();
      bool valid = !pattern.empty() && std::all_of(pattern.begin(), pattern.end(), [](unsigned char c) {
        return std::isupper(c) || std::isdigit(c) || c == '_' || c == '*';
      });
      if (!valid) return error_at(entry.first, "", "'" + pattern + "' is not an entity name or pattern (A-Z, 0-9, _, *)");
      Result<Action> parsed = action(entry.second, pattern);
      if (!parsed.ok()) return parsed.error();
      mention(entry.first, pattern, policy);
      auto same = std::find_if(policy.actions.begin(), policy.actions.end(),
                               [&](const EntityAction& a) { return a.pattern == pattern; });
      if (same != policy.actions.end()) {
        same->action = parsed.value();  // a policy overrides what it extends
      } else {
        policy.actions.push_back({pattern, parsed.value()});
      }
    }
    return ok_status();
  }

  Status read_reject(const YAML::Node& node, Policy& policy) const {
    if (!node.IsMap()) return error_at(node, "", "'reject' must be a mapping");
    Status keys = check_keys(node, "", {"entities", "roles", "severity_at_least", "max_findings", "max_redacted_fraction"},
                             "'reject'");
    if (!keys.ok()) return keys;
    if (node["entities"]) {
      Result<std::vector<std::string>> entities = strings(node["entities"], "", "entities");
      if (!entities.ok()) return entities.error();
      policy.reject_entities = entities.value();
      mention_all(node["entities"], entities.value(), policy);
    }
    if (node["roles"]) {
      const YAML::Node& roles = node["roles"];
      if (!roles.IsMap()) return error_at(roles, "", "'roles' must map roles to lists of entities");
      for (const auto& entry : roles) {
        if (!entry.first.IsScalar()) return error_at(entry.first, "", "a role must be a string");
        Result<std::vector<std::string>> entities = strings(entry.second, "", "roles." + entry.first.Scalar());
        if (!entities.ok()) return entities.error();
        policy.reject_in_roles.emplace_back(entry.first.Scalar(), entities.value());
        mention_all(entry.second, entities.value(), policy);
      }
    }
    if (node["severity_at_least"]) {
      Result<double> severity = number(node["severity_at_least"], "", "severity_at_least", 1, 5);
      if (!severity.ok()) return severity.error();
      policy.reject_severity = static_cast<int>(severity.value());
    }
    if (node["max_findings"]) {
      Result<double> max = number(node["max_findings"], "", "max_findings", 0, 1e9);
      if (!max.ok()) return max.error();
      policy.max_findings = static_cast<size_t>(max.value());
    }
    if (node["max_redacted_fraction"]) {
      Result<double> fraction = number(node["max_redacted_fraction"], "", "max_redacted_fraction", 0, 1);
      if (!fraction.ok()) return fraction.error();
      policy.max_redacted_fraction = fraction.value();
    }
    return ok_status();
  }

  std::string builtin_;
};

Status load_into(const std::string& path, const std::string& builtin, Policy& policy, int depth) {
  if (depth > kMaxExtendsDepth) return usage_error(path + ": 'extends' goes deeper than 8 policies (a cycle?)");
  Result<YAML::Node> root = config::load_yaml_file(path);
  if (!root.ok()) return root.error();
  PolicyReader reader(path, builtin);
  if (root->IsMap() && root.value()["extends"]) {
    const YAML::Node& extends = root.value()["extends"];
    if (!extends.IsScalar()) return reader.error_at(extends, "", "'extends' must name one policy file");
    std::string parent = extends.Scalar();
    if (parent.empty() || parent[0] != '/') parent = folder_of(path) + "/" + parent;
    Status base = load_into(parent, builtin, policy, depth + 1);
    if (!base.ok()) return base;
  }
  return reader.read(root.value(), policy);
}

std::string format_number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", value);
  return buffer;
}

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string canonical_value(std::string_view value);

namespace {

// Pseudonyms and hashes: HMAC-SHA256 under the run's key, with the action
// and entity in the message so that one value gets unrelated outputs under
// different actions or entities.
Result<std::string> keyed_transform(const Action& action, std::string_view entity, std::string_view value,
                                    const Keying& keying) {
  std::string canonical = canonical_value(value);
  if (action.kind == ActionKind::kPseudonymize && action.per_record_numbers && keying.numbers) {
    auto key = std::make_pair(std::string(entity), canonical);
    auto [it, fresh] = keying.numbers->assigned.emplace(key, 0);
    if (fresh) it->second = ++keying.numbers->per_entity[std::string(entity)];
    return "<" + std::string(entity) + "_" + std::to_string(it->second) + ">";
  }
  if (!keying.key) return internal_error("a keyed action (pseudonymize, hash) has no key");
  std::string message = std::string(action_name(action.kind)) + "\n" + std::string(entity) + "\n" + canonical;
  Result<std::string> digest = crypto::keyed_hash_hex(*keying.key, message);
  if (!digest.ok()) return digest.error();
  if (action.kind == ActionKind::kHash) return digest->substr(0, action.length ? action.length : 16);
  if (action.kind == ActionKind::kSurrogate) {
    std::string fake = surrogate(entity, value, digest.value());
    if (!fake.empty()) return fake;
  }
  return "<" + std::string(entity) + "_" + digest->substr(0, action.length ? action.length : 6) + ">";
}

}  // namespace

std::string_view action_name(ActionKind kind) {
  switch (kind) {
    case ActionKind::kRedact: return "redact";
    case ActionKind::kMask: return "mask";
    case ActionKind::kReject: return "reject";
    case ActionKind::kFlag: return "flag";
    case ActionKind::kPseudonymize: return "pseudonymize";
    case ActionKind::kHash: return "hash";
    case ActionKind::kGeneralize: return "generalize";
    case ActionKind::kSurrogate: return "surrogate";
    case ActionKind::kDrop: return "drop";
  }
  return "redact";
}

bool entity_matches(std::string_view pattern, std::string_view entity) {
  size_t star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == entity;
  std::string_view head = pattern.substr(0, star);
  if (entity.substr(0, head.size()) != head) return false;
  std::string_view rest = pattern.substr(star + 1);
  for (size_t at = head.size(); at <= entity.size(); ++at) {
    if (entity_matches(rest, entity.substr(at))) return true;
  }
  return false;
}

Action Policy::action_for(std::string_view entity) const {
  const EntityAction* best = nullptr;
  for (const EntityAction& candidate : actions) {
    if (!entity_matches(candidate.pattern, entity)) continue;
    if (candidate.pattern == entity) return candidate.action;
    if (!best || literal_length(candidate.pattern) > literal_length(best->pattern)) best = &candidate;
  }
  return best ? best->action : Action{};
}

bool Policy::needs_key() const {
  return std::any_of(actions.begin(), actions.end(), [](const EntityAction& a) {
    return a.action.kind == ActionKind::kHash || a.action.kind == ActionKind::kSurrogate ||
           (a.action.kind == ActionKind::kPseudonymize && !a.action.per_record_numbers);
  });
}

bool Policy::rejects_in_role(std::string_view role, std::string_view entity) const {
  for (const auto& [rejecting_role, patterns] : reject_in_roles) {
    if (rejecting_role != role) continue;
    for (const std::string& pattern : patterns) {
      if (entity_matches(pattern, entity)) return true;
    }
  }
  return false;
}

bool Policy::rejects_entity(std::string_view entity) const {
  return std::any_of(reject_entities.begin(), reject_entities.end(),
                     [&](const std::string& pattern) { return entity_matches(pattern, entity); });
}

Result<Policy> load_policy(const std::string& path, const std::string& builtin_rules_dir) {
  Policy policy;
  policy.file = path;
  Status loaded = load_into(path, builtin_rules_dir, policy, 0);
  if (!loaded.ok()) return loaded.error();
  if (policy.name.empty()) return usage_error(path + ": missing 'policy' (its name)");
  for (const std::string& recipient : policy.recipients) {
    if (recipient.rfind("age1", 0) != 0) return usage_error(path + ": recipients must be age1… public keys");
  }
  return policy;
}

std::string effective_yaml(const Policy& policy) {
  std::string out = "policy: " + quoted(policy.name) + "\nversion: " + quoted(policy.version) + "\n";
  if (!policy.description.empty()) out += "description: " + quoted(policy.description) + "\n";
  out += policy.rule_packs.empty() ? "rules: []\n" : "rules:\n";
  for (const std::string& pack : policy.rule_packs) out += "  - " + quoted(pack) + "\n";
  out += "fields: " + quoted(policy.fields) + "\nmin_score: " + format_number(policy.min_score) + "\n";
  out += "placeholder: " + quoted(policy.placeholder) + (policy.actions.empty() ? "\nactions: {}\n" : "\nactions:\n");
  for (const EntityAction& a : policy.actions) {
    out += "  " + quoted(a.pattern) + ": ";
    if (a.action.kind == ActionKind::kMask) {
      out += "{action: mask, keep: " + std::to_string(a.action.keep_last) + ", char: " +
             quoted(std::string(1, a.action.mask_char)) + "}\n";
    } else if (a.action.kind == ActionKind::kGeneralize) {
      out += std::string("{action: generalize, to: ") + (a.action.to_month ? "month" : "year") + "}\n";
    } else if (a.action.kind == ActionKind::kPseudonymize || a.action.kind == ActionKind::kHash) {
      out += "{action: " + std::string(action_name(a.action.kind));
      if (a.action.length) out += ", length: " + std::to_string(a.action.length);
      if (a.action.per_record_numbers) out += ", numbering: record";
      out += "}\n";
    } else {
      out += std::string(action_name(a.action.kind)) + "\n";
    }
  }
  out += "reject:\n  entities: [";
  for (size_t i = 0; i < policy.reject_entities.size(); ++i) out += (i ? ", " : "") + quoted(policy.reject_entities[i]);
  out += "]\n";
  if (!policy.reject_in_roles.empty()) {
    out += "  roles:\n";
    for (const auto& [role, patterns] : policy.reject_in_roles) {
      out += "    " + quoted(role) + ": [";
      for (size_t i = 0; i < patterns.size(); ++i) out += (i ? ", " : "") + quoted(patterns[i]);
      out += "]\n";
    }
  }
  if (policy.reject_severity) out += "  severity_at_least: " + std::to_string(policy.reject_severity) + "\n";
  out += "  max_findings: " + std::to_string(policy.max_findings) +
         "\n  max_redacted_fraction: " + format_number(policy.max_redacted_fraction) + "\n";
  if (policy.reversible) out += "reversible: true\n";
  out += "gate:\n  max_quarantine_rate: " + format_number(policy.max_quarantine_rate) + "\n";
  if (!policy.gate_max_findings.empty()) {
    out += "  max_findings:\n";
    for (const auto& [pattern, max] : policy.gate_max_findings) out += "    " + quoted(pattern) + ": " + std::to_string(max) + "\n";
  }
  out += policy.recipients.empty() ? "recipients: []\n" : "recipients:\n";
  for (const std::string& recipient : policy.recipients) out += "  - " + recipient + "\n";
  return out;
}

std::string canonical_value(std::string_view value) {
  size_t digits = static_cast<size_t>(std::count_if(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); }));
  bool mostly_digits = digits * 2 >= value.size();
  std::string out;
  for (unsigned char c : value) {
    if (mostly_digits && c < 0x80 && !std::isalnum(c)) continue;
    out += static_cast<char>(c < 0x80 ? std::tolower(c) : c);
  }
  return out;
}

Result<std::string> transform(const Action& action, std::string_view entity, std::string_view value,
                              const std::string& placeholder, const Keying& keying) {
  if (action.kind == ActionKind::kPseudonymize || action.kind == ActionKind::kHash ||
      action.kind == ActionKind::kSurrogate) {
    return keyed_transform(action, entity, value, keying);
  }
  if (action.kind == ActionKind::kGeneralize) {
    std::string coarse = generalize(value, action.to_month);
    if (!coarse.empty()) return coarse;
  }
  if (action.kind == ActionKind::kRedact || action.kind == ActionKind::kGeneralize) {
    std::string out = placeholder;
    size_t at = out.find("{entity}");
    if (at != std::string::npos) out.replace(at, 8, entity);
    return out;
  }
  if (action.kind != ActionKind::kMask) return std::string(value);
  // Mask: every letter or digit but the last keep_last becomes mask_char;
  // separators and punctuation stay, so the shape of the value stays.
  auto is_kept_shape = [](unsigned char c) { return c < 0x80 && !std::isalnum(c); };
  size_t maskable = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: counted with its lead
    if (!is_kept_shape(c)) ++maskable;
  }
  size_t to_mask = maskable > action.keep_last ? maskable - action.keep_last : 0;
  std::string out;
  for (size_t i = 0; i < value.size();) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    size_t length = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    length = std::min(length, value.size() - i);
    if (is_kept_shape(c) || to_mask == 0) {
      out.append(value.substr(i, length));
    } else {
      out += action.mask_char;
      --to_mask;
    }
    i += length;
  }
  return out;
}

namespace {

// Three-digit ZIP prefixes whose areas hold 20,000 people or fewer, which
// HIPAA Safe Harbor (45 CFR 164.514(b)(2)(i)(B)) turns into 000 (2000 census).
constexpr const char* kSparseZip3[] = {"036", "059", "063", "102", "203", "556", "692", "790", "821",
                                       "823", "830", "831", "878", "879", "884", "890", "893"};

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t at = text.find(separator); at != std::string_view::npos; at = text.find(separator, start)) {
    parts.push_back(text.substr(start, at - start));
    start = at + 1;
  }
  parts.push_back(text.substr(start));
  return parts;
}

std::string generalize_ipv4(std::string_view value) {
  std::vector<std::string_view> parts = split(value, '.');
  if (parts.size() != 4 || !std::all_of(parts.begin(), parts.end(), [](std::string_view p) {
        return all_digits(p) && p.size() <= 3;
      })) {
    return "";
  }
  return std::string(parts[0]) + "." + std::string(parts[1]) + "." + std::string(parts[2]) + ".0/24";
}

std::string generalize_zip(std::string_view value) {
  std::string_view five = value.substr(0, 5);
  bool zip = all_digits(five) && (value.size() == 5 || (value.size() == 10 && value[5] == '-' && all_digits(value.substr(6))));
  if (!zip) return "";
  std::string prefix(value.substr(0, 3));
  for (const char* sparse : kSparseZip3) {
    if (prefix == sparse) return "000";
  }
  return prefix;
}

// A year 1900-2099 in the value, with the month when it is numeric and
// unambiguous enough to find (YYYY-MM-DD, MM/DD/YYYY, DD.MM.YYYY).
std::string generalize_date(std::string_view value, bool to_month) {
  for (size_t i = 0; i + 4 <= value.size(); ++i) {
    std::string_view candidate = value.substr(i, 4);
    bool bounded = (i == 0 || !std::isdigit(static_cast<unsigned char>(value[i - 1]))) &&
                   (i + 4 == value.size() || !std::isdigit(static_cast<unsigned char>(value[i + 4])));
    if (!bounded || !all_digits(candidate) || (candidate.substr(0, 2) != "19" && candidate.substr(0, 2) != "20")) continue;
    std::string year(candidate);
    if (!to_month) return year;
    if (i == 0 && value.size() >= 7 && (value[4] == '-' || value[4] == '/') && all_digits(value.substr(5, 2))) {
      return year + "-" + std::string(value.substr(5, 2));
    }
    std::vector<std::string_view> parts = split(value, value.find('/') != std::string_view::npos ? '/' : '.');
    if (parts.size() == 3 && all_digits(parts[0]) && all_digits(parts[1])) {
      std::string_view month = value.find('/') != std::string_view::npos ? parts[0] : parts[1];  // US m/d, EU d.m
      return year + "-" + (month.size() == 1 ? "0" : "") + std::string(month);
    }
    return year;
  }
  return "";
}

}  // namespace

namespace {

// Deterministic "random" numbers from successive hex digits of a digest.
class DigestDigits {
 public:
  explicit DigestDigits(std::string_view hex) : hex_(hex) {}
  unsigned next(unsigned below) {
    unsigned value = 0;
    for (int i = 0; i < 4; ++i) value = value * 16 + hex_digit(hex_[pos_++ % hex_.size()]);
    return value % below;
  }
  std::string digits(size_t count) {
    std::string out;
    for (size_t i = 0; i < count; ++i) out += static_cast<char>('0' + next(10));
    return out;
  }

 private:
  static unsigned hex_digit(char c) { return c <= '9' ? static_cast<unsigned>(c - '0') : static_cast<unsigned>(c - 'a' + 10); }
  std::string_view hex_;
  size_t pos_ = 0;
};

// A name of the same shape as `value`: "First Last", "Last, First", or one
// word; in capitals when the value was. The names come from a fixed list of
// common US given names and surnames (Census), not from the installed
// lexicons, so one key gives the same surrogates on every machine.
std::string surrogate_name(std::string_view value, DigestDigits& random) {
  static const char* kFirst[] = {"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda",
                                 "David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
                                 "Thomas", "Sarah", "Charles", "Karen", "Daniel", "Lisa", "Matthew", "Nancy",
                                 "Anthony", "Sandra", "Steven", "Ashley", "Andrew", "Emily", "Kevin", "Michelle",
                                 "Brian", "Amanda", "George", "Melissa", "Edward", "Rebecca", "Jason", "Laura"};
  static const char* kLast[] = {"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
                                "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor",
                                "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark",
                                "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
                                "Hill", "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Roberts"};
  std::string first = kFirst[random.next(sizeof kFirst / sizeof *kFirst)];
  std::string last = kLast[random.next(sizeof kLast / sizeof *kLast)];
  if (last == first) last = "Walker";  // "Thomas Thomas" reads like a mistake
  std::string name;
  if (value.find(',') != std::string_view::npos) name = last + ", " + first;
  else if (value.find(' ') != std::string_view::npos) name = first + " " + last;
  else name = first;
  bool capitals = std::none_of(value.begin(), value.end(), [](char ch) { return std::islower(static_cast<unsigned char>(ch)); });
  if (capitals) {
    for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  return name;
}

char luhn_check_digit(const std::string& digits) {
  int sum = 0;
  bool twice = true;  // the check digit will be appended on the right
  for (size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
    twice = !twice;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

// `digits` laid out like `shape`: each digit of shape replaced in turn, its
// separators kept (when the digit counts agree).
std::string with_shape(const std::string& digits, std::string_view shape) {
  size_t count = static_cast<size_t>(std::count_if(shape.begin(), shape.end(), [](unsigned char c) { return std::isdigit(c); }));
  if (count != digits.size()) return digits;
  std::string out;
  size_t next = 0;
  for (char c : shape) out += std::isdigit(static_cast<unsigned char>(c)) ? digits[next++] : c;
  return out;
}

}  // namespace

std::string surrogate(std::string_view entity, std::string_view value, std::string_view digest_hex) {
  DigestDigits random(digest_hex);
  if (entity == "EMAIL_ADDRESS") return "user" + std::string(digest_hex.substr(0, 8)) + "@example.com";
  if (entity == "PERSON") return surrogate_name(value, random);
  if (entity == "PHONE_NUMBER") {
    // 555-0100 to 555-0199 are reserved for fiction in every NANP area.
    unsigned area = 201 + random.next(780);
    if (area % 100 == 11) ++area;  // N11 codes are service numbers
    return "(" + std::to_string(area) + ") 555-01" + random.digits(2);
  }
  if (entity == "CREDIT_CARD") {
    std::string digits = "400000" + random.digits(9);  // the 4000 00 test range of card processors
    digits += luhn_check_digit(digits);
    return with_shape(digits, value);
  }
  if (entity == "US_SSN") {  // area 666 is never assigned
    unsigned group = 1 + random.next(99);
    std::string group_text = (group < 10 ? "0" : "") + std::to_string(group);
    return with_shape("666" + group_text + std::to_string(1000 + random.next(9000)), value);
  }
  if (entity == "IP_ADDRESS") {
    if (value.find(':') != std::string_view::npos) return "2001:db8::" + std::string(digest_hex.substr(0, 4));
    static const char* kDocumentation[] = {"192.0.2.", "198.51.100.", "203.0.113."};
    return kDocumentation[random.next(3)] + std::to_string(1 + random.next(254));
  }
  return "";
}

std::string generalize(std::string_view value, bool to_month) {
  if (std::string ip = generalize_ipv4(value); !ip.empty()) return ip;
  if (std::string zip = generalize_zip(value); !zip.empty()) return zip;
  if (all_digits(value) && value.size() <= 3) {  // an age
    return std::stoi(std::string(value)) > 89 ? "90+" : std::string(value);
  }
  return generalize_date(value, to_month);
}

}  // namespace airlock::policy
