// Applying a policy to a record's findings.
#include "pipeline/policy_stage.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <map>

#include "text/text.h"

namespace airlock::pipeline {
namespace {

// "/messages/3/content" → "/messages/*/content": findings per field, not per
// message. Keys come from the data: one that is not a plain name (an email
// address used as a key, say) is written {key}, so that reports never carry it.
void append_field_pattern(std::string_view pointer, std::string& out) {
  auto plain_name = [](std::string_view key) {
    return !key.empty() && key.size() <= 40 && !std::isdigit(static_cast<unsigned char>(key[0])) &&
           std::all_of(key.begin(), key.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; });
  };
  size_t i = 0;
  while (i < pointer.size()) {
    size_t next = pointer.find('/', i + 1);
    std::string_view segment =
        pointer.substr(i + 1, next == std::string_view::npos ? std::string_view::npos : next - i - 1);
    bool index = !segment.empty() && segment.find_first_not_of("0123456789") == std::string_view::npos;
    if (index) {
      out += "/*";
    } else if (plain_name(segment)) {
      out += '/';
      out += segment;
    } else {
      out += "/{key}";
    }
    if (next == std::string_view::npos) break;
    i = next;
  }
  if (out.empty()) out = "(the line)";
}

// {"token":"<EMAIL_ADDRESS_…>","value":"…"} — the vault holds the values,
// so it is only ever written encrypted.
void append_vault_entry(std::string_view token, std::string_view value, std::string& out) {
  out += "{\"token\":";
  record::append_json_string_lossless(out, token);
  out += ",\"value\":";
  record::append_json_string_lossless(out, value);
  out += "}\n";
}

// Whether every byte of the finding but white space lies in text the policy
// wrote: two surrogate names side by side read as one name, and are still
// nothing the input held.
bool written_by_policy(std::string_view text, const detect::Finding& f,
                       const std::vector<std::pair<uint32_t, uint32_t>>& inserted) {
  for (size_t at = f.byte_start; at < f.byte_end; ++at) {
    bool inside = std::any_of(inserted.begin(), inserted.end(), [&](const std::pair<uint32_t, uint32_t>& span) {
      return at >= span.first && at < span.second;
    });
    char c = text[at];
    if (!inside && c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
  }
  return true;
}

std::string percent(double fraction) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%.0f%%", fraction * 100);
  return buffer;
}

}  // namespace

PolicyStage::PolicyStage(const detect::Scanner& scanner, const policy::Policy& policy, const crypto::SecretBytes* key)
    : scanner_(scanner),
      policy_(policy),
      key_(key),
      counts_(new std::atomic<uint64_t>[scanner.rules().size() * kKinds]) {
  for (const detect::Rule& rule : scanner.rules()) {
    rule_actions_.push_back(policy.action_for(rule.entity));
    rule_rejects_.push_back(policy.rejects_entity(rule.entity) ||
                            rule_actions_.back().kind == policy::ActionKind::kReject ||
                            (policy.reject_severity && rule.severity >= policy.reject_severity));
  }
  for (size_t i = 0; i < scanner.rules().size() * kKinds; ++i) counts_[i] = 0;
}

void PolicyStage::count(uint32_t rule, policy::ActionKind kind) const {
  ++counts_[rule * kKinds + static_cast<size_t>(kind)];
}

Status PolicyStage::process(Record& record) const {
  thread_local std::vector<detect::Finding> found;
  thread_local std::vector<Hit> hits;  // PolicyStage::Hit
  std::vector<record::TextField>& fields = *record.fields;
  hits.clear();
  size_t text_bytes = 0;
  for (size_t i = 0; i < fields.size(); ++i) {
    text_bytes += fields[i].text.size();
    found.clear();
    Status scanned = scanner_.scan(fields[i].text, found);
    if (!scanned.ok()) {
      if (!text::Normalizer::is_limit_error(scanned.error())) return scanned;
      record.problems.push_back({record::Reason::kNormalizeLimit,
                                 "field " + std::string(fields[i].pointer) + " grows too much under normalisation"});
      return ok_status();
    }
    for (const detect::Finding& finding : found) hits.push_back({i, finding});
  }
  if (!hits.empty()) count_places(fields, hits);

  auto note = [&](const Hit& hit, policy::ActionKind kind) {
    const detect::Rule& rule = scanner_.rules()[hit.finding.rule];
    record.noted->push_back({rule.entity, rule.id, policy::action_name(kind)});
  };
  auto reject_all = [&](const std::string& why) {
    for (const Hit& hit : hits) {
      count(hit.finding.rule, policy::ActionKind::kReject);
      if (record.noted) note(hit, policy::ActionKind::kReject);
    }
    record.problems.push_back({record::Reason::kPolicyReject, why});
  };
  for (const Hit& hit : hits) {
    const detect::Rule& rule = scanner_.rules()[hit.finding.rule];
    const record::TextField& field = fields[hit.field];
    bool in_role = !field.role.empty() && policy_.rejects_in_role(field.role, rule.entity);
    if (!rule_rejects_[hit.finding.rule] && !in_role) continue;
    std::string where = field.pointer.empty() ? "the line" : std::string(field.pointer);
    reject_all("the policy rejects " + rule.entity + (in_role ? " in a " + std::string(field.role) + " message" : "") +
               " (rule " + rule.id + ", at " + where + ")");
    return ok_status();
  }
  if (policy_.max_findings && hits.size() > policy_.max_findings) {
    reject_all(std::to_string(hits.size()) + " findings, more than the policy allows in one record (" +
               std::to_string(policy_.max_findings) + ")");
    return ok_status();
  }

  thread_local policy::RecordNumbers numbers;  // per-record pseudonym numbering
  numbers.clear();
  thread_local std::string vault;  // this record's reversible tokens, kept if it passes
  vault.clear();
  const policy::Keying keying{key_, &numbers};
  size_t replaced_bytes = 0;
  for (size_t h = 0; h < hits.size();) {
    size_t field_index = hits[h].field;
    record::TextField& field = fields[field_index];
    std::string replacement;
    std::vector<std::pair<uint32_t, uint32_t>> inserted;
    size_t copied_to = 0;
    bool changed = false;
    for (; h < hits.size() && hits[h].field == field_index; ++h) {
      const detect::Finding& f = hits[h].finding;
      const policy::Action& action = rule_actions_[f.rule];
      if (action.kind == policy::ActionKind::kFlag) continue;
      if (action.kind == policy::ActionKind::kDrop) {
        field.dropped = true;  // the whole message goes: nothing to write in it
        changed = true;
        continue;
      }
      const std::string& entity = scanner_.rules()[f.rule].entity;
      std::string_view value = field.text.substr(f.byte_start, f.byte_end - f.byte_start);
      replacement.append(field.text.substr(copied_to, f.byte_start - copied_to));
      Result<std::string> transformed = policy::transform(action, entity, value, policy_.placeholder, keying);
      if (!transformed.ok()) return transformed.error();
      inserted.emplace_back(static_cast<uint32_t>(replacement.size()),
                            static_cast<uint32_t>(replacement.size() + transformed->size()));
      replacement += transformed.value();
      if (policy_.reversible && action.kind == policy::ActionKind::kPseudonymize) {
        append_vault_entry(transformed.value(), value, vault);
      }
      copied_to = f.byte_end;
      replaced_bytes += value.size();
      changed = true;
    }
    if (!changed) continue;
    replacement.append(field.text.substr(copied_to));
    field.replaced = true;
    field.replacement = std::move(replacement);
    field.inserted = std::move(inserted);
  }
  double fraction = text_bytes ? static_cast<double>(replaced_bytes) / static_cast<double>(text_bytes) : 0;
  if (fraction > policy_.max_redacted_fraction) {
    for (record::TextField& field : fields) field.replaced = false;
    reject_all("redaction would replace " + percent(fraction) + " of the record's text, more than the policy's " +
               percent(policy_.max_redacted_fraction));
    return ok_status();
  }
  for (const Hit& hit : hits) {
    count(hit.finding.rule, rule_actions_[hit.finding.rule].kind);
    if (record.noted) note(hit, rule_actions_[hit.finding.rule].kind);
  }
  if (record.vault) record.vault->append(vault);
  return ok_status();
}

void PolicyStage::count_places(const std::vector<record::TextField>& fields, const std::vector<Hit>& hits) const {
  // Hits come field by field: one count per field, its name built in a
  // reused buffer, looked up without a copy, the lock taken once a record.
  thread_local std::string pattern;
  std::lock_guard lock(places_mutex_);
  for (size_t h = 0; h < hits.size();) {
    size_t first = h;
    while (h < hits.size() && hits[h].field == hits[first].field) ++h;
    const record::TextField& field = fields[hits[first].field];
    std::string_view role = field.role.empty() ? std::string_view("(no role)") : field.role;
    pattern.clear();
    append_field_pattern(field.pointer, pattern);
    for (auto [map, key] : {std::pair{&roles_, role}, std::pair{&fields_, std::string_view(pattern)}}) {
      auto found = map->find(key);
      if (found == map->end()) found = map->emplace(std::string(key), 0).first;
      found->second += h - first;
    }
  }
}

Status PolicyStage::verify(Record& record, const std::vector<record::TextField>& output) const {
  thread_local std::vector<detect::Finding> found;
  const std::vector<record::TextField>& original = *record.fields;
  for (size_t i = 0; i < output.size() && i < original.size(); ++i) {
    if (!original[i].replaced) continue;  // unchanged text was judged already
    found.clear();
    Status scanned = scanner_.scan(output[i].text, found);
    if (!scanned.ok()) return scanned;
    for (const detect::Finding& f : found) {
      if (rule_actions_[f.rule].kind == policy::ActionKind::kFlag && !rule_rejects_[f.rule]) continue;
      if (!written_by_policy(output[i].text, f, original[i].inserted)) ++record.leftover;
    }
  }
  return ok_status();
}

void PolicyStage::add_facts(audit::RunFacts& facts) const {
  for (size_t rule = 0; rule < scanner_.rules().size(); ++rule) {
    const detect::Rule& r = scanner_.rules()[rule];
    uint64_t found = 0;
    for (size_t kind = 0; kind < kKinds; ++kind) {
      uint64_t n = counts_[rule * kKinds + kind].load();
      if (!n) continue;
      found += n;
      facts.entities[r.entity].actions[std::string(policy::action_name(static_cast<policy::ActionKind>(kind)))] += n;
    }
    if (!found) continue;
    facts.entities[r.entity].found += found;
    facts.top_rules.push_back({r.id, r.entity, found});
  }
  std::stable_sort(facts.top_rules.begin(), facts.top_rules.end(),
                   [](const audit::RuleFacts& a, const audit::RuleFacts& b) { return a.found > b.found; });
  if (facts.top_rules.size() > 10) facts.top_rules.resize(10);
  std::lock_guard lock(places_mutex_);
  for (const auto& [role, n] : roles_) facts.roles[role] += n;
  for (const auto& [field, n] : fields_) facts.fields[field] += n;
}

}  // namespace airlock::pipeline
