// The record of an `airlock run`: its facts, the gate's verdict, and the
// audit log, reports and signed manifest written into the run folder.
#pragma once

#include <string>

#include "audit/audit.h"
#include "cli/policy_loading.h"
#include "pipeline/pipeline.h"

namespace airlock::cli {

struct RunIdentity {
  std::string run_id;   // 32 hex digits, random
  std::string started;  // UTC, ISO 8601
  std::string host;
};
RunIdentity new_run_identity();

// The facts of a finished run (before its outputs are listed).
audit::RunFacts run_facts(const RunIdentity& identity, const pipeline::Summary& summary, const LoadedPolicy& loaded,
                          const pipeline::PolicyStage* stage, const std::string& audit_level);

// The policy's gate: the quarantine rate, per-entity limits on findings,
// and the verification pass (nothing the policy acts on may be left in the
// clean output). Sets the verdict and its reasons in `facts` and `summary`.
void apply_gate(const policy::Policy& policy, audit::RunFacts& facts, pipeline::Summary& summary);

// Writes audit.jsonl (the header, the per-record entries gathered in the
// folder's scratch file, totals, footer), report.json, report.html,
// summary.json, manifest.json and, with a key, manifest.sig; then
// publishes the folder.
Status write_run_record(pipeline::RunDirectory& dir, audit::RunFacts& facts, const pipeline::Summary& summary,
                        const crypto::SigningKey* signing_key);

}  // namespace airlock::cli
