#include "cli/policy_loading.h"

#include <cstdio>
#include <cstdlib>

#include "cli/crypto_io.h"
#include "crypto/keyed_hash.h"
#include "io/io.h"

namespace airlock::cli {

std::string default_policy_path() { return std::string(AIRLOCK_POLICIES_DIR) + "/fine-tune-upload.yaml"; }

Result<LoadedPolicy> load_policy_and_rules(const std::string& path) {
  LoadedPolicy loaded;
  Result<policy::Policy> policy = policy::load_policy(path.empty() ? default_policy_path() : path, AIRLOCK_RULES_DIR);
  if (!policy.ok()) return policy.error();
  loaded.policy = std::move(policy.value());
  io::Sha256 digest;
  digest.update(policy::effective_yaml(loaded.policy));
  loaded.sha256 = digest.hex_digest();
  if (loaded.policy.rule_packs.empty()) return loaded;
  Result<std::vector<detect::RulePack>> packs = detect::load_packs(loaded.policy.rule_packs);
  if (!packs.ok()) return packs.error();
  detect::Scanner::Options options;
  options.min_score = loaded.policy.min_score;
  Result<std::unique_ptr<detect::Scanner>> scanner = detect::Scanner::create(std::move(packs.value()), options);
  if (!scanner.ok()) return scanner.error();
  loaded.scanner = std::move(scanner.value());
  return loaded;
}

// The verdict: the run fails its gate when more records went to quarantine
// than the policy tolerates (the outputs are still written, for review).
void apply_gate(const policy::Policy& policy, const std::string& policy_sha256, pipeline::Summary& summary) {
  summary.policy_name = policy.name;
  summary.policy_version = policy.version;
  summary.policy_sha256 = policy_sha256;
  const pipeline::Counts& totals = summary.totals;
  double rate = totals.records ? static_cast<double>(totals.quarantined) / static_cast<double>(totals.records) : 0;
  if (rate <= policy.max_quarantine_rate) return;
  char reason[160];
  std::snprintf(reason, sizeof reason, "%.1f%% of records quarantined, above the policy's %.1f%% (gate: max_quarantine_rate)",
                rate * 100, policy.max_quarantine_rate * 100);
  summary.verdict = "fail";
  summary.verdict_reason = reason;
}

Result<crypto::SecretBytes> read_pseudonym_key(const std::string& option_value) {
  std::string path = option_value;
  if (path.empty()) {
    const char* env = std::getenv("AIRLOCK_PSEUDONYM_KEY_FILE");
    if (env) path = env;
  }
  if (path.empty()) return crypto::SecretBytes();
  Result<crypto::SecretBytes> text = read_key_file(path, KeyFile::kIdentities, false);
  if (!text.ok()) return text.error();
  return crypto::parse_keyed_hash_key(text->view(), path);
}

std::string key_fingerprint(const crypto::SecretBytes& key) {
  Result<std::string> digest = crypto::keyed_hash_hex(key, "airlock pseudonym key fingerprint");
  return digest.ok() ? digest->substr(0, 16) : "unknown";
}

std::unique_ptr<pipeline::PolicyStage> make_policy_stage(const LoadedPolicy& loaded, const crypto::SecretBytes* key) {
  if (!loaded.scanner) return nullptr;
  return std::make_unique<pipeline::PolicyStage>(*loaded.scanner, loaded.policy, key);
}

Status use_policy_recipients(const policy::Policy& policy, std::vector<crypto::Recipient>& recipients) {
  if (!recipients.empty()) return ok_status();
  for (const std::string& text : policy.recipients) {
    Result<crypto::Recipient> recipient = crypto::Recipient::parse(text);
    if (!recipient.ok()) return usage_error(policy.file + ": " + recipient.error().message);
    recipients.push_back(recipient.value());
  }
  return ok_status();
}

}  // namespace airlock::cli
