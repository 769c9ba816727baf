// Applying a policy to a record's findings.
#include "pipeline/policy_stage.h"

#include <cstdio>
#include <array>
#include <map>

#include "text/text.h"

namespace airlock::pipeline {
namespace {

struct Hit {
  size_t field;
  detect::Finding finding;
};

std::string percent(double fraction) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%.0f%%", fraction * 100);
  return buffer;
}

}  // namespace

PolicyStage::PolicyStage(const detect::Scanner& scanner, const policy::Policy& policy, const crypto::SecretBytes* key)
    : scanner_(scanner), policy_(policy), key_(key), counts_(new std::atomic<uint64_t>[scanner.rules().size() * kKinds]) {
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
  thread_local std::vector<Hit> hits;
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

  auto reject_all = [&](const std::string& why) {
    for (const Hit& hit : hits) count(hit.finding.rule, policy::ActionKind::kReject);
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
  const policy::Keying keying{key_, &numbers};
  size_t replaced_bytes = 0;
  for (size_t h = 0; h < hits.size();) {
    size_t field_index = hits[h].field;
    record::TextField& field = fields[field_index];
    std::string replacement;
    size_t copied_to = 0;
    bool changed = false;
    for (; h < hits.size() && hits[h].field == field_index; ++h) {
      const detect::Finding& f = hits[h].finding;
      const policy::Action& action = rule_actions_[f.rule];
      if (action.kind == policy::ActionKind::kFlag) continue;
      const std::string& entity = scanner_.rules()[f.rule].entity;
      std::string_view value = field.text.substr(f.byte_start, f.byte_end - f.byte_start);
      replacement.append(field.text.substr(copied_to, f.byte_start - copied_to));
      Result<std::string> transformed = policy::transform(action, entity, value, policy_.placeholder, keying);
      if (!transformed.ok()) return transformed.error();
      replacement += transformed.value();
      copied_to = f.byte_end;
      replaced_bytes += value.size();
      changed = true;
    }
    if (!changed) continue;
    replacement.append(field.text.substr(copied_to));
    field.replaced = true;
    field.replacement = std::move(replacement);
  }
  double fraction = text_bytes ? static_cast<double>(replaced_bytes) / static_cast<double>(text_bytes) : 0;
  if (fraction > policy_.max_redacted_fraction) {
    for (record::TextField& field : fields) field.replaced = false;
    reject_all("redaction would replace " + percent(fraction) + " of the record's text, more than the policy's " +
               percent(policy_.max_redacted_fraction));
    return ok_status();
  }
  for (const Hit& hit : hits) count(hit.finding.rule, rule_actions_[hit.finding.rule].kind);
  return ok_status();
}

std::string PolicyStage::actions_table() const {
  std::map<std::string, std::array<uint64_t, kKinds>> per_entity;
  for (size_t rule = 0; rule < scanner_.rules().size(); ++rule) {
    auto& row = per_entity[scanner_.rules()[rule].entity];
    for (size_t kind = 0; kind < kKinds; ++kind) row[kind] += counts_[rule * kKinds + kind].load();
  }
  std::string out;
  char line[200];
  std::snprintf(line, sizeof line, "  %-24s %9s %9s %9s %9s %9s %9s %9s %9s %9s\n", "entity", "found", "redacted",
                "masked", "pseudonym", "surrogate", "hashed", "general", "flagged", "rejected");
  bool any = false;
  for (const auto& [entity, row] : per_entity) {
    uint64_t found = 0;
    for (uint64_t n : row) found += n;
    if (!found) continue;
    if (!any) out += line;
    any = true;
    auto n = [&](policy::ActionKind kind) { return static_cast<unsigned long long>(row[static_cast<size_t>(kind)]); };
    using K = policy::ActionKind;
    std::snprintf(line, sizeof line, "  %-24s %9llu %9llu %9llu %9llu %9llu %9llu %9llu %9llu %9llu\n",
                  entity.c_str(), static_cast<unsigned long long>(found), n(K::kRedact), n(K::kMask),
                  n(K::kPseudonymize), n(K::kSurrogate), n(K::kHash), n(K::kGeneralize), n(K::kFlag), n(K::kReject));
    out += line;
  }
  return any ? out : "  no findings\n";
}

}  // namespace airlock::pipeline
