// policy: what a run does about what detection finds, written down the way
// a compliance team writes it — per entity an action, record-level reject
// conditions, a gate on the quarantine rate, and whom outputs are encrypted
// to. Policies are YAML (policies/*.yaml, docs/policies.md) and may extend
// one another.
#pragma once

#include <cstddef>
#include <map>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "crypto/keys.h"

namespace airlock::policy {

enum class ActionKind {
  kRedact,  // replace the value with a typed placeholder, "[EMAIL_ADDRESS]"
  kMask,    // keep the last N characters, mask the rest, separators kept
  kReject,  // send the whole record to quarantine
  kFlag,    // keep the value, report it
  kPseudonymize,  // a stable token from a keyed HMAC, "<PERSON_7f3a9c>", or per record "<PERSON_1>"
  kHash,          // keyed SHA-256 (HMAC) in hex, truncated
  kGeneralize,    // a coarser value: a date's year, an IPv4 /24, a ZIP's first three digits, an age over 89
  kSurrogate,     // a realistic fake of the same kind that cannot be real, chosen by a keyed HMAC
  kDrop,          // remove the message holding the value (or, outside a "messages" array, the field)
};
std::string_view action_name(ActionKind kind);

struct Action {
  ActionKind kind = ActionKind::kRedact;
  size_t keep_last = 4;  // mask: characters left readable at the end
  char mask_char = '*';  // mask: what replaces the others
  size_t length = 0;     // pseudonymize, hash: hex digits kept (0: 6 for pseudonyms, 16 for hashes)
  bool per_record_numbers = false;  // pseudonymize: <PERSON_1>, <PERSON_2> within each record
  bool to_month = false;            // generalize: dates to year and month instead of year
};

// A fake of `entity` chosen by `digest_hex` (64 hex digits of a keyed HMAC
// of the value): an address at example.com, a 555-01xx phone number, a
// Luhn-valid card in a test range with the original's grouping, an SSN in
// the never-assigned area 666, a documentation IP (RFC 5737 / RFC 3849), a
// common name of the same shape ("First Last", "Last, First", one word).
// Empty for an entity with no generator (the caller pseudonymizes).
std::string surrogate(std::string_view entity, std::string_view value, std::string_view digest_hex);

// The generalised form of a value (HIPAA Safe Harbor's coarsening): a date
// keeps its year (or year-month), an IPv4 address becomes its /24, a US ZIP
// code its first three digits ("000" for the three-digit zones with fewer
// than 20,000 people), an age over 89 "90+". Empty when the value has none
// of these shapes (the caller then redacts).
std::string generalize(std::string_view value, bool to_month);

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
  // Entities that reject a record when found in a message of a given role
  // ("system": ["*"] keeps personal data out of system prompts).
  std::vector<std::pair<std::string, std::vector<std::string>>> reject_in_roles;
  int reject_severity = 0;                   // any prohibited-content finding this severe or more (0: off)
  size_t max_findings = 0;                   // more findings than this in one record (0: no limit)
  double max_redacted_fraction = 1.0;        // more of the record's text replaced than this
  // The gate: the run's verdict fails above this share of quarantined records.
  double max_quarantine_rate = 1.0;
  // ... and when more findings of these entities (patterns) than allowed
  // were made in the run, whatever was done about them.
  std::vector<std::pair<std::string, uint64_t>> gate_max_findings;
  std::vector<std::string> recipients;  // age1… recipients for the outputs
  // Pseudonyms are kept with their values in an encrypted vault, so that
  // `airlock restore` can put the values back (prompts to an inference API).
  bool reversible = false;
  // Every entity name or pattern the policy (and what it extends) names,
  // with "file:line", so that a loader knowing the rule packs can refuse
  // one that names no entity of them (a typo would otherwise do nothing).
  std::vector<std::pair<std::string, std::string>> entity_mentions;

  // The action for `entity`: an exact pattern first, then the wildcard
  // pattern with the most literal characters (ties: the one listed first),
  // then redact.
  Action action_for(std::string_view entity) const;
  bool rejects_entity(std::string_view entity) const;
  bool rejects_in_role(std::string_view role, std::string_view entity) const;
  // Whether an action needs the run's pseudonym key.
  bool needs_key() const;
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

// What keyed actions need: the run's key, and the numbers handed out so
// far in the record being transformed (cleared for each record).
struct RecordNumbers {
  std::map<std::pair<std::string, std::string>, size_t> assigned;  // (entity, canonical value) -> n
  std::map<std::string, size_t> per_entity;                          // numbers used per entity
  void clear() {
    assigned.clear();
    per_entity.clear();
  }
};
struct Keying {
  const crypto::SecretBytes* key = nullptr;
  RecordNumbers* numbers = nullptr;
};

// The form of a value that keyed actions hash: ASCII letters lower-cased,
// and for values mostly of digits, only the letters and digits kept — so
// "Jane@Example.org" and "jane@example.org", or "4111 1111" and
// "4111-1111", get the same pseudonym.
std::string canonical_value(std::string_view value);

// The replacement text for `value` of `entity` (reject and flag actions
// leave it as it is). Keyed actions need `keying`; without a key they fail.
Result<std::string> transform(const Action& action, std::string_view entity, std::string_view value,
                              const std::string& placeholder, const Keying& keying = {});

}  // namespace airlock::policy
