// Validators for numbers that identify a person, an account or a thing: payment cards and IMEIs
// (Luhn), IBANs, US SSN/ITIN, ABA routing numbers, NPI, NHS and DEA numbers, VINs, UK NINOs.
#include <algorithm>
#include <bitset>

#include "detect/validator_kit.h"

namespace airlock::detect {
namespace {

using namespace kit;

// ---- luhn, imei ---------------------------------------------------------------------------------

constexpr size_t kMaxLuhnDigits = 64;
using LengthSet = std::bitset<kMaxLuhnDigits + 1>;

// "15", "13-19" or a comma-separated list of both ("12,15-16").
std::optional<LengthSet> parse_lengths(std::string_view text) {
  LengthSet lengths;
  while (true) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    size_t dash = item.find('-');
    auto low = parse_unsigned(item.substr(0, dash), kMaxLuhnDigits);
    auto high = dash == std::string_view::npos ? low : parse_unsigned(item.substr(dash + 1), kMaxLuhnDigits);
    if (!low || !high || *low == 0 || *low > *high) return std::nullopt;
    for (unsigned n = *low; n <= *high; ++n) lengths.set(n);
    if (comma == std::string_view::npos) return lengths;
    text.remove_prefix(comma + 1);
  }
}

constexpr std::string_view kCardLengths = "12-19";  // ISO/IEC 7812 PANs

Status luhn_params(const ValidatorParams& params) {
  return one_optional_param(
      params, "lengths", [](std::string_view text) { return parse_lengths(text).has_value(); },
      "a digit count or range between 1 and 64, such as \"15\", \"13-19\" or \"12,15-16\"");
}

bool luhn_check(std::string_view value, const ValidatorParams& params) {
  auto lengths = parse_lengths(param_or(params, "lengths", kCardLengths));
  auto digits = digits_between_separators(value, " -.", kMaxLuhnDigits);
  return lengths && digits && lengths->test(digits->size()) && luhn_holds(*digits);
}

// An IMEI (3GPP TS 23.003): 14 digits and a Luhn check digit; written with spaces, dashes or slashes.
bool imei_check(std::string_view value, const ValidatorParams&) {
  auto digits = digits_between_separators(value, " -/", 15);
  return digits && digits->size() == 15 && luhn_holds(*digits);
}

// ---- iban ---------------------------------------------------------------------------------------

struct IbanCountry {
  char code[3];
  unsigned length;
};

// IBAN lengths per country, from the SWIFT IBAN registry (ISO 13616): all SEPA countries and the
// others the registry lists, as of 2024. Sorted by code.
constexpr IbanCountry kIbanCountries[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22}, {"BH", 22},
    {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27}, {"DK", 18},
    {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22},
    {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23},
    {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21},
    {"LT", 20}, {"LU", 20}, {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20},
    {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24}, {"PL", 28}, {"PS", 29},
    {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24}, {"SC", 31}, {"SD", 18}, {"SE", 24},
    {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26},
    {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20},
};
constexpr size_t kLongestIban = 34;  // ISO 13616's upper bound

unsigned iban_length_for(std::string_view country) {
  for (const auto& entry : kIbanCountries) {
    if (country == entry.code) return entry.length;
  }
  return 0;
}

// The IBAN in its electronic form (no spaces, upper case), nullopt if it has other characters.
// Spaces are accepted anywhere but doubled: the print form groups by four, but not always.
std::optional<std::string> compact_iban(std::string_view value) {
  std::string compact;
  bool after_space = true;
  for (char c : value) {
    if (c == ' ' && !after_space) {
      after_space = true;
      continue;
    }
    if (!is_digit(c) && !is_alpha(c)) return std::nullopt;
    if (compact.size() == kLongestIban) return std::nullopt;
    compact += to_upper(c);
    after_space = false;
  }
  if (after_space) return std::nullopt;
  return compact;
}

bool iban_check(std::string_view value, const ValidatorParams&) {
  auto iban = compact_iban(value);
  if (!iban || iban->size() < 4) return false;
  std::string_view text = *iban;
  if (!is_upper(text[0]) || !is_upper(text[1]) || !is_digit(text[2]) || !is_digit(text[3])) return false;
  if (iban_length_for(text.substr(0, 2)) != text.size()) return false;
  // 00, 01 and 99 satisfy mod 97 for some accounts but are never issued (ISO 7064 MOD 97-10
  // yields 02..98).
  std::string_view check_digits = text.substr(2, 2);
  if (check_digits == "00" || check_digits == "01" || check_digits == "99") return false;
  // Move the country code and check digits to the end, read letters as 10..35, take mod 97
  // digit by digit so that the number never overflows.
  std::string rearranged = std::string(text.substr(4)) + std::string(text.substr(0, 4));
  unsigned remainder = 0;
  for (char c : rearranged) {
    unsigned v = is_digit(c) ? static_cast<unsigned>(digit_value(c)) : static_cast<unsigned>(c - 'A' + 10);
    remainder = (remainder * (v >= 10 ? 100 : 10) + v) % 97;
  }
  return remainder == 1;
}

// ---- us_ssn, us_itin ----------------------------------------------------------------------------

// Nine digits with one separator between each two, the same throughout ("5 3 6 2 2 1 2 3 4"):
// the way a number is written to get past filters.
std::optional<std::string> spaced_digits(std::string_view value) {
  if (value.size() != 17) return std::nullopt;
  std::string digits;
  for (size_t i = 0; i < value.size(); ++i) {
    if (i % 2 == 0 ? !is_digit(value[i]) : (value[i] != value[1] || std::string_view(" -.").find(value[i]) == std::string_view::npos)) {
      return std::nullopt;
    }
    if (i % 2 == 0) digits += value[i];
  }
  return digits;
}

// The nine digits of an "AAA-GG-SSSS" number, written with dashes, with spaces, without
// separators (one style throughout), or digit by digit.
std::optional<std::string> area_group_serial(std::string_view value) {
  if (value.size() == 17) return spaced_digits(value);
  if (value.size() == 9) {
    if (!std::all_of(value.begin(), value.end(), is_digit)) return std::nullopt;
    return std::string(value);
  }
  if (value.size() != 11) return std::nullopt;
  char separator = value[3];
  if ((separator != '-' && separator != ' ') || value[6] != separator) return std::nullopt;
  std::string digits =
      std::string(value.substr(0, 3)) + std::string(value.substr(4, 2)) + std::string(value.substr(7, 4));
  if (!std::all_of(digits.begin(), digits.end(), is_digit)) return std::nullopt;
  return digits;
}

unsigned number_at(std::string_view digits, size_t pos, size_t count) {
  unsigned n = 0;
  for (char c : digits.substr(pos, count)) n = n * 10 + static_cast<unsigned>(digit_value(c));
  return n;
}

// SSA's rules for numbers it issues: area not 000, 666 or 900-999; group not 00; serial not
// 0000. Two numbers printed on sample cards and used by thousands of people are refused too:
// 078-05-1120 (the Woolworth wallet card, 1938) and 219-09-9999 (an SSA pamphlet, 1940).
bool us_ssn_check(std::string_view value, const ValidatorParams&) {
  auto digits = area_group_serial(value);
  if (!digits) return false;
  unsigned area = number_at(*digits, 0, 3), group = number_at(*digits, 3, 2), serial = number_at(*digits, 5, 4);
  if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0) return false;
  return *digits != "078051120" && *digits != "219099999";
}

// IRS ITINs: area 9xx and group 50-65, 70-88, 90-92 or 94-99.
bool us_itin_check(std::string_view value, const ValidatorParams&) {
  auto digits = area_group_serial(value);
  if (!digits || (*digits)[0] != '9') return false;
  unsigned group = number_at(*digits, 3, 2);
  return (group >= 50 && group <= 65) || (group >= 70 && group <= 88) || (group >= 90 && group <= 92) || group >= 94;
}

// ---- aba_routing, npi, nhs, dea -----------------------------------------------------------------

bool all_same(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [&](char c) { return c == text.front(); });
}

// ABA routing transit numbers: 9 digits, the first two a Federal Reserve district (00-12),
// thrift (21-32), electronic (61-72) or traveller's cheque (80) prefix; weights 3, 7, 1.
bool aba_routing_check(std::string_view value, const ValidatorParams&) {
  if (value.size() != 9 || !std::all_of(value.begin(), value.end(), is_digit) || all_same(value)) return false;
  unsigned prefix = number_at(value, 0, 2);
  if (!(prefix <= 12 || (prefix >= 21 && prefix <= 32) || (prefix >= 61 && prefix <= 72) || prefix == 80)) {
    return false;
  }
  static constexpr int kWeights[9] = {3, 7, 1, 3, 7, 1, 3, 7, 1};
  int sum = 0;
  for (size_t i = 0; i < 9; ++i) sum += kWeights[i] * digit_value(value[i]);
  return sum % 10 == 0;
}

// CMS National Provider Identifiers: 10 digits starting with 1 or 2, whose Luhn check digit is
// computed as if prefixed by 80840 (the ISO health-card issuer prefix).
bool npi_check(std::string_view value, const ValidatorParams&) {
  if (value.size() != 10 || !std::all_of(value.begin(), value.end(), is_digit)) return false;
  if (value[0] != '1' && value[0] != '2') return false;
  return luhn_holds("80840" + std::string(value));
}

// NHS numbers: 10 digits (printed 3-3-4 with spaces), mod-11 check digit with weights 10..2; a
// remainder that gives check digit 10 means the number is never issued. Repeated digits
// (0000000000, 4444444444) pass the checksum but are placeholders.
bool nhs_check(std::string_view value, const ValidatorParams&) {
  auto digits = digits_between_separators(value, " ", 10);
  if (!digits || digits->size() != 10 || all_same(*digits)) return false;
  int sum = 0;
  for (size_t i = 0; i < 9; ++i) sum += (10 - static_cast<int>(i)) * digit_value((*digits)[i]);
  int check = 11 - sum % 11;
  if (check == 11) check = 0;
  return check != 10 && check == digit_value((*digits)[9]);
}

// DEA registration numbers: a registrant-type letter, the registrant's last-name initial (or 9
// for business names), 6 digits and a check digit: the last digit of d1+d3+d5 + 2*(d2+d4+d6).
bool dea_check(std::string_view value, const ValidatorParams&) {
  if (value.size() != 9) return false;
  static constexpr std::string_view kRegistrantTypes = "ABCDEFGHJKLMPRSTUX";
  char type = to_upper(value[0]), initial = to_upper(value[1]);
  if (kRegistrantTypes.find(type) == std::string_view::npos || !(is_upper(initial) || initial == '9')) return false;
  std::string_view digits = value.substr(2);
  if (!std::all_of(digits.begin(), digits.end(), is_digit)) return false;
  int sum = digit_value(digits[0]) + digit_value(digits[2]) + digit_value(digits[4]) +
            2 * (digit_value(digits[1]) + digit_value(digits[3]) + digit_value(digits[5]));
  return sum % 10 == digit_value(digits[6]);
}

// ---- vin ----------------------------------------------------------------------------------------

// The value of a VIN character for the check digit (49 CFR 565.15); -1 for I, O, Q and others.
int vin_value(char c) {
  if (is_digit(c)) return digit_value(c);
  static constexpr std::string_view kLetters = "ABCDEFGHJKLMNPRSTUVWXYZ";
  static constexpr int kValues[] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9};
  size_t at = kLetters.find(c);
  return at == std::string_view::npos ? -1 : kValues[at];
}

// North American VINs (49 CFR 565): 17 characters, check digit (0-9 or X) at position 9.
// Vehicles built for other markets often have no check digit and fail here.
bool vin_check(std::string_view value, const ValidatorParams&) {
  if (value.size() != 17 || all_same(value)) return false;
  static constexpr int kWeights[17] = {8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2};
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) {
    int v = vin_value(to_upper(value[i]));
    if (v < 0) return false;
    sum += kWeights[i] * v;
  }
  int check = sum % 11;
  char expected = check == 10 ? 'X' : static_cast<char>('0' + check);
  return to_upper(value[8]) == expected;
}

// ---- uk_nino ------------------------------------------------------------------------------------

// UK National Insurance numbers (HMRC NIM39110): two prefix letters, six digits, suffix A-D;
// printed "AB 12 34 56 C" or without spaces. Neither prefix letter is D, F, I, Q, U or V, the
// second is not O, and BG, GB, NK, KN, TN, NT and ZZ are never issued.
bool uk_nino_check(std::string_view value, const ValidatorParams&) {
  std::string compact;
  for (char c : value) {
    if (c == ' ') continue;
    if (compact.size() == 9) return false;
    compact += to_upper(c);
  }
  if (compact.size() != 9 || value.front() == ' ' || value.back() == ' ') return false;
  static constexpr std::string_view kNeverInPrefix = "DFIQUV";
  char first = compact[0], second = compact[1];
  if (!is_upper(first) || !is_upper(second)) return false;
  if (kNeverInPrefix.find(first) != std::string_view::npos || kNeverInPrefix.find(second) != std::string_view::npos ||
      second == 'O') {
    return false;
  }
  static constexpr std::string_view kUnissuedPrefixes[] = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"};
  std::string_view prefix = std::string_view(compact).substr(0, 2);
  if (std::find(std::begin(kUnissuedPrefixes), std::end(kUnissuedPrefixes), prefix) != std::end(kUnissuedPrefixes)) {
    return false;
  }
  std::string_view number = std::string_view(compact).substr(2, 6);
  if (!std::all_of(number.begin(), number.end(), is_digit)) return false;
  return compact[8] >= 'A' && compact[8] <= 'D';
}

}  // namespace

std::vector<ValidatorInfo> kit::identifier_validators() {
  return {
      {"luhn", "Luhn mod 10 checksum over 12-19 digits (payment cards), spaces or dashes allowed", luhn_check,
       luhn_params},
      {"imei", "IMEI: 15 digits with a Luhn check digit", imei_check, no_params},
      {"iban", "IBAN: country length table and ISO 13616 mod-97 check digits", iban_check, no_params},
      {"us_ssn", "US Social Security number: SSA area, group and serial rules", us_ssn_check, no_params},
      {"us_itin", "US ITIN: 9xx area and the IRS group ranges", us_itin_check, no_params},
      {"aba_routing", "ABA routing number: prefix ranges and 3-7-1 weighted checksum", aba_routing_check, no_params},
      {"npi", "US National Provider Identifier: Luhn with the 80840 prefix", npi_check, no_params},
      {"nhs", "UK NHS number: mod-11 check digit", nhs_check, no_params},
      {"dea", "US DEA registration number: registrant letters and checksum", dea_check, no_params},
      {"vin", "Vehicle identification number: 17 characters, North American check digit", vin_check, no_params},
      {"uk_nino", "UK National Insurance number: HMRC prefix and suffix rules", uk_nino_check, no_params},
  };
}

}  // namespace airlock::detect
