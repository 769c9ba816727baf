#include "cli/policy_loading.h"

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

}  // namespace airlock::cli
