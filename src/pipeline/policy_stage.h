// The policy stage of `airlock run`: detection, then what the policy says
// to do about each finding, applied to the record.
#pragma once

#include <atomic>
#include <memory>
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

  // "entity  found  redacted  masked  flagged  rejected" for the report.
  std::string actions_table() const;

 private:
  static constexpr size_t kKinds = 8;  // policy::ActionKind values
  void count(uint32_t rule, policy::ActionKind kind) const;

  const detect::Scanner& scanner_;
  const policy::Policy& policy_;
  const crypto::SecretBytes* key_;
  std::vector<policy::Action> rule_actions_;  // per scanner rule, resolved once
  std::vector<bool> rule_rejects_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // rule × action kind
};

}  // namespace airlock::pipeline
