#include "cli/args.h"

#include <charconv>

namespace airlock::cli {

std::string ParsedArgs::value(std::string_view name, std::string fallback) const {
  auto it = values_.find(std::string(name));
  return it == values_.end() ? fallback : it->second.back();
}

std::vector<std::string> ParsedArgs::values(std::string_view name) const {
  auto it = values_.find(std::string(name));
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

Result<ParsedArgs> parse_args(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs) {
  ParsedArgs parsed;
  bool options_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_ended || arg.size() < 2 || arg[0] != '-') {
      parsed.positionals_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_ended = true;
      continue;
    }
    std::string_view word = arg;
    std::string_view inline_value;
    bool has_inline = false;
    if (size_t eq = word.find('='); eq != std::string_view::npos && word.substr(0, 2) == "--") {
      inline_value = word.substr(eq + 1);
      word = word.substr(0, eq);
      has_inline = true;
    }
    const OptionSpec* spec = nullptr;
    for (const OptionSpec& candidate : specs) {
      if (word == candidate.name || (!candidate.alias.empty() && word == candidate.alias)) spec = &candidate;
    }
    // "-j2": a short option with its value attached.
    if (!spec && word.size() > 2 && word[1] != '-') {
      for (const OptionSpec& candidate : specs) {
        if (candidate.takes_value && candidate.alias == word.substr(0, 2)) {
          spec = &candidate;
          inline_value = word.substr(2);
          has_inline = true;
        }
      }
    }
    if (!spec) return usage_error("unknown option '" + std::string(word) + "'");
    std::vector<std::string>& slot = parsed.values_[std::string(spec->name)];
    if (!spec->takes_value) {
      if (has_inline) return usage_error(std::string(spec->name) + " takes no value");
      slot.emplace_back();
    } else if (has_inline) {
      slot.emplace_back(inline_value);
    } else if (i + 1 < args.size()) {
      slot.push_back(args[++i]);
    } else {
      return usage_error(std::string(spec->name) + " needs a value");
    }
  }
  return parsed;
}

Result<uint64_t> parse_number(std::string_view text, std::string_view option, uint64_t min, uint64_t max) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return usage_error(std::string(option) + ": '" + std::string(text) + "' is not a whole number");
  }
  if (value < min || value > max) {
    return usage_error(std::string(option) + ": " + std::to_string(value) + " is out of range (" + std::to_string(min) +
                       " to " + std::to_string(max) + ")");
  }
  return value;
}

Result<uint64_t> parse_size(std::string_view text, std::string_view option) {
  uint64_t multiplier = 1;
  std::string_view digits = text;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 'K':
      case 'k':
        multiplier = uint64_t{1} << 10;
        break;
      case 'M':
      case 'm':
        multiplier = uint64_t{1} << 20;
        break;
      case 'G':
      case 'g':
        multiplier = uint64_t{1} << 30;
        break;
      default:
        break;
    }
    if (multiplier != 1) digits.remove_suffix(1);
  }
  Result<uint64_t> number = parse_number(digits, option, 0, UINT64_MAX / multiplier);
  if (!number.ok()) {
    return usage_error(std::string(option) + ": '" + std::string(text) +
                       "' is not a size (bytes, or a number with K, M or G)");
  }
  return number.value() * multiplier;
}

}  // namespace airlock::cli
