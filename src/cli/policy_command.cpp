// airlock policy check: validate a policy and show what it amounts to.
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/policy_loading.h"

namespace airlock::cli {
namespace {

const char kPolicyHelp[] = R"(Usage: airlock policy check [FILE]

Loads the policy FILE (default: %s), follows what it extends,
compiles its rule packs, and prints the effective policy as YAML, then a line
with its digest. A malformed policy or rule pack is refused with
FILE:LINE: reason and exit status 2.
)";

}  // namespace

int policy_command(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf(kPolicyHelp, default_policy_path().c_str());
    return args.empty() ? 2 : 0;
  }
  if (args[0] != "check") return report_usage_error("policy", usage_error("unknown action '" + args[0] + "' (check)"));
  if (args.size() > 2) return report_usage_error("policy", usage_error("check takes one policy file"));
  Result<LoadedPolicy> loaded = load_policy_and_rules(args.size() == 2 ? args[1] : "");
  if (!loaded.ok()) return report_error(loaded.error());
  std::cout << policy::effective_yaml(loaded->policy);
  size_t rules = loaded->scanner ? loaded->scanner->rules().size() : 0;
  std::cout << "# policy " << loaded->policy.name << " is valid: " << loaded->policy.rule_packs.size()
            << " rule packs, " << rules << " rules, sha256 " << loaded->sha256 << "\n";
  return 0;
}

}  // namespace airlock::cli
