// detect/validators: checks that confirm a rule's candidate match is real.
//
// A detection rule's RE2 pattern finds candidates ("16 digits in groups of
// four"); a validator then says whether the candidate is the real thing (the
// Luhn checksum holds, the date exists, the IBAN's mod-97 is 1). Validators
// are small pure functions over hostile input: any length, any bytes. They
// never throw, never crash and run in time linear in the input (most refuse
// anything longer than their format allows before looking further).
//
// Rule packs name validators ("luhn", "iban", ...) and may give them
// parameters; docs/validators.md lists them all.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace airlock::detect {

// Parameters a rule gives a validator in its YAML, e.g. {region: "GB"} or {min_bits: "3.5"}.
using ValidatorParams = std::map<std::string, std::string>;

struct ValidatorInfo {
  std::string_view name;         // as written in rule packs: "luhn", "iban", ...
  std::string_view description;  // one line, for `airlock rules list` and docs
  // Checks a candidate value (the matched text, already NFKC-normalised, may contain separators
  // such as spaces, dashes, dots where the format allows them: validators strip what they accept).
  // Parameters that check_params would refuse make it return false.
  bool (*check)(std::string_view value, const ValidatorParams& params);
  // Validates the parameters at rule-load time: unknown parameter names or bad values are an
  // error whose message names the parameter and the reason (no file/line: the caller adds them).
  Status (*check_params)(const ValidatorParams& params);
};

const ValidatorInfo* find_validator(std::string_view name);  // nullptr if unknown
const std::vector<ValidatorInfo>& all_validators();

// Shannon entropy in bits per character (per byte) of `value`: 0 for "" or "aaaa", 8 at most.
// Used by the entropy validator, exposed for tests and tools.
double shannon_entropy(std::string_view value);

}  // namespace airlock::detect
