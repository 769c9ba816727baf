// Loading the policy a command runs with, and compiling its rule packs.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "crypto/age.h"
#include "detect/detect.h"
#include "pipeline/pipeline.h"
#include "pipeline/policy_stage.h"
#include "policy/policy.h"

namespace airlock::cli {

struct LoadedPolicy {
  policy::Policy policy;
  std::string sha256;  // of the effective policy (effective_yaml), packs named by their content's digest
  std::unique_ptr<detect::Scanner> scanner;   // null when the policy names no rule pack
};

// The shipped default: policies/fine-tune-upload.yaml.
std::string default_policy_path();

// Loads `path` (the default when empty) and compiles its packs.
Result<LoadedPolicy> load_policy_and_rules(const std::string& path);

// The stage that applies the policy, or null for a policy that names no
// rule pack (format checks only). `key` must outlive it.
std::unique_ptr<pipeline::PolicyStage> make_policy_stage(const LoadedPolicy& loaded, const crypto::SecretBytes* key);

// When the command line named no recipient, the policy's (if any).
Status use_policy_recipients(const policy::Policy& policy, std::vector<crypto::Recipient>& recipients);

// The pseudonym key of --pseudonym-key FILE, else of the file named by
// $AIRLOCK_PSEUDONYM_KEY_FILE; an empty SecretBytes when neither is given.
Result<crypto::SecretBytes> read_pseudonym_key(const std::string& option_value);
// A short fingerprint of a pseudonym key, safe to show: which key, not the key.
std::string key_fingerprint(const crypto::SecretBytes& key);

}  // namespace airlock::cli
