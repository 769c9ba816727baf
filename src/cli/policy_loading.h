// Loading the policy a command runs with, and compiling its rule packs.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "detect/detect.h"
#include "policy/policy.h"

namespace airlock::cli {

struct LoadedPolicy {
  policy::Policy policy;
  std::string sha256;                         // of the effective policy (effective_yaml)
  std::unique_ptr<detect::Scanner> scanner;   // null when the policy names no rule pack
};

// The shipped default: policies/fine-tune-upload.yaml.
std::string default_policy_path();

// Loads `path` (the default when empty) and compiles its packs.
Result<LoadedPolicy> load_policy_and_rules(const std::string& path);

}  // namespace airlock::cli
