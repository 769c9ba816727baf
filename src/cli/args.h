// A small command-line parser: each command declares its options; values
// come as "--name value" or "--name=value"; "--" ends the options; "-" alone
// is a positional (standard input).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace airlock::cli {

struct OptionSpec {
  std::string_view name;   // "--out"
  std::string_view alias;  // "-o", or empty
  bool takes_value = false;
};

class ParsedArgs {
 public:
  bool has(std::string_view name) const { return values_.count(std::string(name)) > 0; }
  // The last value given for `name`, or `fallback`.
  std::string value(std::string_view name, std::string fallback = "") const;
  // Every value given for a repeatable option, in order.
  std::vector<std::string> values(std::string_view name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  friend Result<ParsedArgs> parse_args(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs);
  std::map<std::string, std::vector<std::string>> values_;  // flags map to an empty value
  std::vector<std::string> positionals_;
};

Result<ParsedArgs> parse_args(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs);

// "4096", "64K", "16M", "1G" (binary multiples) → bytes.
Result<uint64_t> parse_size(std::string_view text, std::string_view option);
// A whole number in [min, max].
Result<uint64_t> parse_number(std::string_view text, std::string_view option, uint64_t min, uint64_t max);

}  // namespace airlock::cli
