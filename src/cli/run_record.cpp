#include "cli/run_record.h"

#include <unistd.h>

#include <cstdio>

#include "base/utc.h"
#include "crypto/keyed_hash.h"

namespace airlock::cli {
namespace {

std::string percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f%%", fraction * 100);
  return text;
}

}  // namespace

RunIdentity new_run_identity() {
  RunIdentity identity;
  // 16 bytes from OpenSSL's CSPRNG (a fresh key is exactly that); should it
  // fail, the run id says so rather than being empty.
  Result<crypto::SecretBytes> random = crypto::new_keyed_hash_key();
  if (!random.ok()) identity.run_id = "unavailable";
  if (random.ok()) identity.run_id = io::hex(random->data(), 16);
  identity.started = utc_timestamp();
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) identity.host = host;
  return identity;
}

audit::RunFacts run_facts(const RunIdentity& identity, const pipeline::Summary& summary, const LoadedPolicy& loaded,
                          const pipeline::PolicyStage* stage, const std::string& audit_level) {
  audit::RunFacts facts;
  facts.airlock_version = AIRLOCK_VERSION;
  facts.run_id = identity.run_id;
  facts.started = identity.started;
  facts.host = identity.host;
  facts.audit_level = audit_level;
  facts.policy_name = loaded.policy.name;
  facts.policy_version = loaded.policy.version;
  facts.policy_sha256 = loaded.sha256;
  if (loaded.scanner) {
    for (const detect::RulePack& pack : loaded.scanner->packs()) facts.packs.push_back({pack.name, pack.version, pack.sha256});
  }
  for (const pipeline::InputSummary& input : summary.inputs) {
    audit::FileFacts file;
    file.path = input.info.display_name;
    file.size = input.raw_bytes;
    file.sha256 = input.sha256;
    facts.inputs.push_back(std::move(file));
  }
  facts.counts = summary.totals;
  if (stage) stage->add_facts(facts);
  facts.verification_rescanned = summary.verification_rescanned;
  facts.verification_findings = summary.verification_findings;
  if (summary.tokens) {
    const pipeline::TokenSummary& t = *summary.tokens;
    facts.tokens = audit::TokenFacts{t.model, t.encoding, t.prices_taken, t.training_usd_per_million,
                                     t.before_policy, t.after_policy};
  }
  facts.threads = summary.threads;
  facts.seconds = summary.seconds;
  return facts;
}

void apply_gate(const policy::Policy& policy, audit::RunFacts& facts, pipeline::Summary& summary) {
  std::vector<std::string> reasons;
  const audit::Counts& c = facts.counts;
  double rate = c.records ? static_cast<double>(c.quarantined) / static_cast<double>(c.records) : 0;
  if (rate > policy.max_quarantine_rate) {
    reasons.push_back(percent(rate) + " of records quarantined, above the policy's " +
                      percent(policy.max_quarantine_rate) + " (gate: max_quarantine_rate)");
  }
  for (const auto& [pattern, max] : policy.gate_max_findings) {
    uint64_t found = 0;
    for (const auto& [entity, e] : facts.entities) found += policy::entity_matches(pattern, entity) ? e.found : 0;
    if (found > max) {
      reasons.push_back(std::to_string(found) + " findings of " + pattern + ", above the policy's " + std::to_string(max) +
                        " (gate: max_findings)");
    }
  }
  if (facts.verification_findings) {
    reasons.push_back("the verification pass found " + std::to_string(facts.verification_findings) +
                      " findings the policy acts on left in the clean output");
  }
  facts.verdict = reasons.empty() ? "pass" : "fail";
  facts.verdict_reasons = reasons;
  summary.verdict = facts.verdict;
  summary.verdict_reason.clear();
  for (const std::string& reason : reasons) summary.verdict_reason += (summary.verdict_reason.empty() ? "" : "; ") + reason;
  summary.policy_name = policy.name;
  summary.policy_version = policy.version;
  summary.policy_sha256 = facts.policy_sha256;
}

Status write_run_record(pipeline::RunDirectory& dir, audit::RunFacts& facts, const pipeline::Summary& summary,
                        const crypto::SigningKey* signing_key) {
  Status s = dir.finish_outputs();
  if (!s.ok()) return s;
  facts.outputs = dir.output_facts();
  if (signing_key) facts.signer = signing_key->public_key();
  audit::ChainFacts chain;
  Result<audit::FileFacts> audit_file = dir.add_file(audit::kAuditFile, [&](io::ByteSink& sink) {
    audit::ChainWriter writer(sink);
    Status status = writer.append(audit::header_entry(facts));
    // Per-record entries, in input order, as the workers wrote them.
    if (status.ok()) {
      status = dir.scratch().read_lines([&](std::string_view lines) {
        while (!lines.empty()) {
          size_t end = lines.find('\n');
          Status appended = writer.append(lines.substr(0, end));
          if (!appended.ok()) return appended;
          if (end == std::string_view::npos) break;
          lines.remove_prefix(end + 1);
        }
        return ok_status();
      });
    }
    if (status.ok()) status = writer.append(audit::totals_entry(facts));
    if (status.ok()) status = writer.append(audit::footer_entry(facts));
    chain = {writer.entries(), writer.head()};
    return status;
  });
  if (!audit_file.ok()) return audit_file.error();
  facts.outputs.push_back(audit_file.value());
  for (auto [name, content] : {std::pair{audit::kReportJson, audit::report_json(facts)},
                               std::pair{audit::kReportHtml, audit::report_html(facts)},
                               std::pair{pipeline::RunDirectory::kSummary,
                                         pipeline::summary_json(summary, AIRLOCK_VERSION)}}) {
    Result<audit::FileFacts> file = dir.add_file(name, content);
    if (!file.ok()) return file.error();
    facts.outputs.push_back(file.value());
  }
  std::string manifest = audit::manifest_json(facts, chain);
  if (Result<audit::FileFacts> file = dir.add_file(audit::kManifestFile, manifest); !file.ok()) return file.error();
  if (signing_key) {
    Result<std::string> signature = audit::sign_manifest(*signing_key, manifest);
    if (!signature.ok()) return signature.error();
    if (Result<audit::FileFacts> file = dir.add_file(audit::kSignatureFile, signature.value()); !file.ok()) {
      return file.error();
    }
  }
  return dir.publish();
}

}  // namespace airlock::cli
