#include "cli/policy_loading.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "cli/crypto_io.h"
#include "crypto/keyed_hash.h"
#include "io/io.h"

namespace airlock::cli {

std::string default_policy_path() { return std::string(AIRLOCK_POLICIES_DIR) + "/fine-tune-upload.yaml"; }

namespace {

// The digest of what a policy does, the same on every machine: its packs
// are named by name and content digest, not by where they were found.
std::string policy_digest(const policy::Policy& policy, const std::vector<detect::RulePack>& packs) {
  policy::Policy portable = policy;
  portable.rule_packs.clear();
  for (const detect::RulePack& pack : packs) portable.rule_packs.push_back(pack.name + " sha256:" + pack.sha256);
  io::Sha256 digest;
  digest.update(policy::effective_yaml(portable));
  return digest.hex_digest();
}

// An entity the policy names that none of its packs can find is a typo or
// a missing pack: either way the policy would silently do nothing about it.
Status check_entity_mentions(const policy::Policy& policy, const detect::Scanner& scanner) {
  for (const auto& [pattern, where] : policy.entity_mentions) {
    bool found = std::any_of(scanner.rules().begin(), scanner.rules().end(),
                             [&](const detect::Rule& rule) { return policy::entity_matches(pattern, rule.entity); });
    if (found) continue;
    std::string packs;
    for (const detect::RulePack& pack : scanner.packs()) packs += (packs.empty() ? "" : ", ") + pack.name;
    return usage_error(where + ": '" + pattern + "' names no entity of the policy's rule packs (" + packs +
                       "; `airlock rules list` shows them)");
  }
  return ok_status();
}

}  // namespace

Result<LoadedPolicy> load_policy_and_rules(const std::string& path) {
  LoadedPolicy loaded;
  Result<policy::Policy> policy = policy::load_policy(path.empty() ? default_policy_path() : path, AIRLOCK_RULES_DIR);
  if (!policy.ok()) return policy.error();
  loaded.policy = std::move(policy.value());
  loaded.sha256 = policy_digest(loaded.policy, {});
  if (loaded.policy.rule_packs.empty()) return loaded;
  Result<std::vector<detect::RulePack>> packs = detect::load_packs(loaded.policy.rule_packs);
  if (!packs.ok()) return packs.error();
  detect::Scanner::Options options;
  options.min_score = loaded.policy.min_score;
  Result<std::unique_ptr<detect::Scanner>> scanner = detect::Scanner::create(std::move(packs.value()), options);
  if (!scanner.ok()) return scanner.error();
  loaded.scanner = std::move(scanner.value());
  if (Status s = check_entity_mentions(loaded.policy, *loaded.scanner); !s.ok()) return s.error();
  loaded.sha256 = policy_digest(loaded.policy, loaded.scanner->packs());
  return loaded;
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
