// policy: what a run does about what detection finds, written down the way
// a compliance team writes it — per entity an action, record-level reject
// conditions, a gate on the quarantine rate, and whom outputs are encrypted
// to. Policies are YAML (policies/*.yaml, docs/policies.md) and may extend
// one another.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace airlock::policy {

enum class ActionKind {
  kRedact,  // replace the value with a typed placeholder, "[EMAIL_ADDRESS]"
  kMask,    // keep the last N characters, mask the rest, separators kept
  kReject,  // send the whole record to quarantine
  kFlag,    // keep the value, report it
};
std::string_view action_name(ActionKind kind);

struct Action {
  ActionKind kind = ActionKind::kRedact;
  size_t keep_last = 4;  // mask: characters left readable at the end
  char mask_char = '*';  // mask: what replaces the others
};

// An action for the entities a pattern names ("EMAIL_ADDRESS", "*_TOKEN", "*").
struct EntityAction {
  std::string pattern;
  Action action;
};

struct Policy {
  std::string name;
  std::string version;
  std::string description;
  std::string file;                     // the policy file given
  std::vector<std::string> rule_packs;  // resolved paths of the packs to detect with
  std::string fields = "auto";          // as --fields
  double min_score = 0.5;               // findings scored lower are ignored
  std::string placeholder = "[{entity}]";
  std::vector<EntityAction> actions;    // the most specific pattern wins (see action_for)
  // Record-level conditions that send a record to quarantine.
  std::vector<std::string> reject_entities;  // patterns
  size_t max_findings = 0;                   // more findings than this in one record (0: no limit)
  double max_redacted_fraction = 1.0;        // more of the record's text replaced than this
  // The gate: the run's verdict fails above this share of quarantined records.
  double max_quarantine_rate = 1.0;
  std::vector<std::string> recipients;  // age1… recipients for the outputs

  // The action for `entity`: an exact pattern first, then the wildcard
  // pattern with the most literal characters (ties: the one listed first),
  // then redact.
  Action action_for(std::string_view entity) const;
  bool rejects_entity(std::string_view entity) const;
};

// Loads a policy and what it extends (relative paths are resolved against
// the folder of the file that names them; a bare pack name such as "pii"
// means `builtin_rules_dir`/pii.yaml). Errors name the file, line and
// reason, with exit status 2.
Result<Policy> load_policy(const std::string& path, const std::string& builtin_rules_dir);

// The effective policy (after extends) as YAML: what `airlock policy check`
// prints and what the run's summary records a digest of.
std::string effective_yaml(const Policy& policy);

// Whether `pattern` ("*" matches any run of characters) names `entity`.
bool entity_matches(std::string_view pattern, std::string_view entity);

// The replacement text for `value` of `entity` under a redact or mask
// action (a reject or flag action leaves the value as it is).
std::string transform(const Action& action, std::string_view entity, std::string_view value,
                      const std::string& placeholder);

}  // namespace airlock::policy
