// The validator registry and what the validator families share.
#include "detect/validators.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include "detect/validator_kit.h"

namespace airlock::detect {
namespace kit {

std::optional<std::string> digits_between_separators(std::string_view value, std::string_view separators,
                                                     size_t max_digits) {
  std::string digits;
  bool after_separator = true;  // a leading separator is refused like a doubled one
  for (char c : value) {
    if (is_digit(c)) {
      if (digits.size() == max_digits) return std::nullopt;
      digits += c;
      after_separator = false;
    } else if (separators.find(c) != std::string_view::npos && c != '\0' && !after_separator) {
      after_separator = true;
    } else {
      return std::nullopt;
    }
  }
  if (after_separator) return std::nullopt;  // empty, or ends with a separator
  return digits;
}

bool luhn_holds(std::string_view digits) {
  int sum = 0;
  bool doubled = false;  // every second digit from the right, the check digit itself not
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (!is_digit(*it)) return false;
    int d = digit_value(*it);
    if (doubled) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
    doubled = !doubled;
  }
  return !digits.empty() && sum % 10 == 0;
}

Status only_params(const ValidatorParams& params, std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : params) {
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
    std::string known;
    for (std::string_view a : allowed) known += (known.empty() ? "" : ", ") + std::string(a);
    return usage_error("unknown parameter '" + name + "' (" +
                       (known.empty() ? std::string("this validator takes none") : "allowed: " + known) + ")");
  }
  return ok_status();
}

Status one_optional_param(const ValidatorParams& params, std::string_view name, bool (*valid)(std::string_view),
                          std::string_view expected) {
  if (Status s = only_params(params, {name}); !s) return s;
  auto found = params.find(std::string(name));
  if (found != params.end() && !valid(found->second)) {
    return usage_error("parameter '" + std::string(name) + "': expected " + std::string(expected));
  }
  return ok_status();
}

std::string_view param_or(const ValidatorParams& params, std::string_view name, std::string_view fallback) {
  auto found = params.find(std::string(name));
  return found == params.end() ? fallback : std::string_view(found->second);
}

std::optional<unsigned> parse_unsigned(std::string_view text, unsigned max) {
  unsigned value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

}  // namespace kit

namespace {

std::vector<ValidatorInfo> build_registry() {
  std::vector<ValidatorInfo> all;
  for (auto family : {kit::identifier_validators, kit::network_validators, kit::wallet_validators,
                      kit::date_and_entropy_validators}) {
    auto part = family();
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

}  // namespace

const std::vector<ValidatorInfo>& all_validators() {
  static const std::vector<ValidatorInfo> registry = build_registry();
  return registry;
}

const ValidatorInfo* find_validator(std::string_view name) {
  for (const auto& info : all_validators()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

double shannon_entropy(std::string_view value) {
  if (value.empty()) return 0.0;
  std::array<size_t, 256> counts{};
  for (char c : value) ++counts[static_cast<unsigned char>(c)];
  double bits = 0.0;
  const double total = static_cast<double>(value.size());
  for (size_t count : counts) {
    if (count == 0) continue;
    double p = static_cast<double>(count) / total;
    bits -= p * std::log2(p);
  }
  return bits;
}

}  // namespace airlock::detect
