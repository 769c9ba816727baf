// The subcommands of the airlock binary. Each returns the process exit code.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace airlock::cli {

int run_command(const std::vector<std::string>& args);
int scan_command(const std::vector<std::string>& args);
int rules_command(const std::vector<std::string>& args);
int policy_command(const std::vector<std::string>& args);
int redact_command(const std::vector<std::string>& args);
int eval_command(const std::vector<std::string>& args);
int validate_command(const std::vector<std::string>& args);
int keygen_command(const std::vector<std::string>& args);
int audit_command(const std::vector<std::string>& args);
int restore_command(const std::vector<std::string>& args);
int seal_command(const std::vector<std::string>& args);
int open_command(const std::vector<std::string>& args);
int upload_command(const std::vector<std::string>& args);

// Prints "airlock: error: MESSAGE" and returns the error's exit code.
int report_error(const Error& error);
// The same for a usage error of `command`, with a pointer to its --help.
int report_usage_error(const std::string& command, const Error& error);

}  // namespace airlock::cli
