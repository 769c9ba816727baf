// The policy stage of `airlock run`: detection, then what the policy says
// to do about each finding, applied to the record.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "detect/detect.h"
#include "pipeline/pipeline.h"
#include "policy/policy.h"

namespace airlock::pipeline {

class PolicyStage final : public Stage {
 public:
  // `key` is the run's pseudonym key, needed when the policy pseudonymizes
  // or hashes (policy.needs_key()).
  PolicyStage(const detect::Scanner& scanner, const policy::Policy& policy, const crypto::SecretBytes* key = nullptr);
  std::string_view name() const override { return "policy"; }
  // Scans every selected field; a finding whose entity the policy rejects,
  // more findings than the policy allows, or more of the text replaced than
  // it allows send the record to quarantine (policy_reject); otherwise each
  // finding is redacted, masked or flagged as its entity's action says.
  Status process(Record& record) const override;
  // Scans the output again: a finding the policy would act on, outside
  // what the policy itself wrote, is left over (record.leftover).
  Status verify(Record& record, const std::vector<record::TextField>& output) const override;

  // Findings and actions per entity, findings per role and per field, the
  // rules that found most: the figures of the audit trail and reports.
  void add_facts(audit::RunFacts& facts) const;

 private:
  static constexpr size_t kKinds = 9;  // policy::ActionKind values
  struct Hit {
    size_t field;
    detect::Finding finding;
  };
  void count(uint32_t rule, policy::ActionKind kind) const;
  void count_places(const std::vector<record::TextField>& fields, const std::vector<Hit>& hits) const;

  const detect::Scanner& scanner_;
  const policy::Policy& policy_;
  const crypto::SecretBytes* key_;
  std::vector<policy::Action> rule_actions_;  // per scanner rule, resolved once
  std::vector<bool> rule_rejects_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // rule × action kind
  // Findings per role and per field (indices written as *), merged once a
  // record; only records with findings take the lock.
  mutable std::mutex places_mutex_;
  mutable std::map<std::string, uint64_t, std::less<>> roles_;
  mutable std::map<std::string, uint64_t, std::less<>> fields_;
};

}  // namespace airlock::pipeline
