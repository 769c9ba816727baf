// Internal to detect: what the validator families share, and the lists each
// family file contributes to the registry in validators.cpp.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detect/validators.h"

namespace airlock::detect::kit {

// The validators of each family, in the order `airlock rules list` shows them.
std::vector<ValidatorInfo> identifier_validators();        // identifiers.cpp: cards, bank, health, tax, vehicle
std::vector<ValidatorInfo> network_validators();           // network.cpp: IP addresses, e-mail domains, phones
std::vector<ValidatorInfo> wallet_validators();            // wallets.cpp: Bitcoin and Ethereum addresses
std::vector<ValidatorInfo> date_and_entropy_validators();  // dates_entropy.cpp: dates, entropy

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
inline bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
inline bool is_alpha(char c) { return is_upper(c) || is_lower(c); }
inline char to_upper(char c) { return is_lower(c) ? static_cast<char>(c - 'a' + 'A') : c; }
inline int digit_value(char c) { return c - '0'; }

// The digits of `value`, which may separate them with single characters from `separators`
// ("4111 1111-1111"): nullopt when it holds anything else, starts or ends with a separator, or
// has more than `max_digits` digits (checked early, so hostile input costs nothing).
std::optional<std::string> digits_between_separators(std::string_view value, std::string_view separators,
                                                     size_t max_digits);

// Luhn mod 10 over a string of ASCII digits (ISO/IEC 7812-1 annex B).
bool luhn_holds(std::string_view digits);

// Parameter checks: an error for any name not in `allowed`, naming it and what is allowed.
Status only_params(const ValidatorParams& params, std::initializer_list<std::string_view> allowed);
inline Status no_params(const ValidatorParams& params) { return only_params(params, {}); }

// The parameter check of a validator that takes one optional parameter: no other names, and
// `valid(value)` when the rule gives it. The error reads "parameter 'NAME': expected EXPECTED".
Status one_optional_param(const ValidatorParams& params, std::string_view name, bool (*valid)(std::string_view),
                          std::string_view expected);

// The value of an optional parameter, or `fallback` when the rule does not give it.
std::string_view param_or(const ValidatorParams& params, std::string_view name, std::string_view fallback);

// A whole non-negative decimal integer ("15"), nullopt for anything else or above `max`.
std::optional<unsigned> parse_unsigned(std::string_view text, unsigned max);

}  // namespace airlock::detect::kit
