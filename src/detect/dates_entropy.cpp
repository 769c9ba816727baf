// Validators over free-form text: calendar dates and high-entropy strings (keys, tokens).
#include <array>
#include <charconv>
#include <cmath>

#include "detect/validator_kit.h"

namespace airlock::detect {
namespace {

using namespace kit;

// ---- date ---------------------------------------------------------------------------------------

constexpr unsigned kFirstYear = 1900, kLastYear = 2100;

bool is_leap_year(unsigned year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

bool is_real_date(unsigned year, unsigned month, unsigned day) {
  static constexpr unsigned kDaysInMonth[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < kFirstYear || year > kLastYear || month < 1 || month > 12 || day < 1) return false;
  unsigned days = kDaysInMonth[month - 1] + (month == 2 && is_leap_year(year) ? 1 : 0);
  return day <= days;
}

// Which readings of a numeric date a rule accepts.
struct DateOrders {
  bool ymd = true, mdy = true, dmy = true;
};

std::optional<DateOrders> parse_order(std::string_view order) {
  if (order == "any") return DateOrders{};
  if (order == "ymd") return DateOrders{true, false, false};
  if (order == "mdy") return DateOrders{false, true, false};
  if (order == "dmy") return DateOrders{false, false, true};
  return std::nullopt;
}

// Reads the text it is given from left to right, one token at a time.
class DateReader {
 public:
  explicit DateReader(std::string_view text) : rest_(text) {}

  bool done() const { return rest_.empty(); }

  // A number of `min`..`max` digits.
  std::optional<unsigned> number(size_t min, size_t max) {
    size_t n = 0;
    while (n < rest_.size() && n < max && is_digit(rest_[n])) ++n;
    if (n < min || (n < rest_.size() && is_digit(rest_[n]))) return std::nullopt;
    auto value = parse_unsigned(rest_.substr(0, n), 9999);
    rest_.remove_prefix(n);
    return value;
  }

  bool literal(char c) {
    if (rest_.empty() || rest_[0] != c) return false;
    rest_.remove_prefix(1);
    return true;
  }

  // One or more spaces.
  bool spaces() {
    size_t n = rest_.find_first_not_of(' ');
    if (n == 0) return false;
    rest_.remove_prefix(n == std::string_view::npos ? rest_.size() : n);
    return true;
  }

  // An English month name or its abbreviation ("Jan", "Jan.", "Sept"), any case: 1-12.
  std::optional<unsigned> month_name() {
    size_t n = 0;
    while (n < rest_.size() && is_alpha(rest_[n])) ++n;
    std::string word;
    for (char c : rest_.substr(0, n)) word += static_cast<char>(is_upper(c) ? c - 'A' + 'a' : c);
    static constexpr std::array<std::string_view, 12> kMonths = {"january",   "february", "march",    "april",
                                                                 "may",       "june",     "july",     "august",
                                                                 "september", "october",  "november", "december"};
    for (unsigned m = 0; m < kMonths.size(); ++m) {
      bool full = word == kMonths[m];
      bool abbreviated = word.size() >= 3 && word.size() < kMonths[m].size() && kMonths[m].starts_with(word) &&
                         (word.size() == 3 || word == "sept");
      if (full || abbreviated) {
        rest_.remove_prefix(n);
        if (abbreviated) literal('.');
        return m + 1;
      }
    }
    return std::nullopt;
  }

 private:
  std::string_view rest_;
};

// "2024-02-29": the one numeric form whose order is never in doubt.
bool iso_date(std::string_view value, const DateOrders& orders) {
  DateReader r(value);
  auto year = r.number(4, 4);
  if (!year || !r.literal('-')) return false;
  auto month = r.number(2, 2);
  if (!month || !r.literal('-')) return false;
  auto day = r.number(2, 2);
  return day && r.done() && orders.ymd && is_real_date(*year, *month, *day);
}

// "02/29/2024", "29/02/2024" (either reading, as `orders` allows) and "29.02.2024" (day first).
bool numeric_date(std::string_view value, const DateOrders& orders) {
  DateReader r(value);
  auto first = r.number(1, 2);
  if (!first) return false;
  char separator = r.literal('/') ? '/' : r.literal('.') ? '.' : '\0';
  if (separator == '\0') return false;
  auto second = r.number(1, 2);
  if (!second || !r.literal(separator)) return false;
  auto year = r.number(4, 4);
  if (!year || !r.done()) return false;
  bool as_dmy = orders.dmy && is_real_date(*year, *second, *first);
  bool as_mdy = separator == '/' && orders.mdy && is_real_date(*year, *first, *second);
  return as_dmy || as_mdy;
}

// "January 5, 1990", "Jan. 5 1990" and "5 January 1990": a named month is never ambiguous, so
// these are accepted whatever `order` says.
bool named_month_date(std::string_view value) {
  DateReader month_first(value);
  if (auto month = month_first.month_name(); month && month_first.spaces()) {
    auto day = month_first.number(1, 2);
    if (!day) return false;
    month_first.literal(',');
    month_first.spaces();
    auto year = month_first.number(4, 4);
    return year && month_first.done() && is_real_date(*year, *month, *day);
  }
  DateReader day_first(value);
  auto day = day_first.number(1, 2);
  if (!day || !day_first.spaces()) return false;
  auto month = day_first.month_name();
  if (!month || !day_first.spaces()) return false;
  auto year = day_first.number(4, 4);
  return year && day_first.done() && is_real_date(*year, *month, *day);
}

constexpr size_t kLongestDate = 32;  // "September 30, 2024" with room for extra spaces

Status date_params(const ValidatorParams& params) {
  return one_optional_param(
      params, "order", [](std::string_view text) { return parse_order(text).has_value(); }, "mdy, dmy, ymd or any");
}

bool date_check(std::string_view value, const ValidatorParams& params) {
  auto orders = parse_order(param_or(params, "order", "any"));
  if (!orders || value.empty() || value.size() > kLongestDate) return false;
  return iso_date(value, *orders) || numeric_date(value, *orders) || named_month_date(value);
}

// ---- entropy ------------------------------------------------------------------------------------

// A finite decimal number ("3.5") in 0..8, nullopt for anything else.
std::optional<double> parse_bits(std::string_view text) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < 0 ||
      value > 8) {
    return std::nullopt;
  }
  return value;
}

constexpr unsigned kMaxMinLength = 1u << 20;

Status entropy_params(const ValidatorParams& params) {
  if (Status s = only_params(params, {"min_bits", "min_length"}); !s) return s;
  if (params.count("min_bits") == 0) {
    return usage_error("parameter 'min_bits' is required: bits of entropy per character, between 0 and 8");
  }
  if (!parse_bits(params.at("min_bits"))) return usage_error("parameter 'min_bits': expected a number between 0 and 8");
  if (!parse_unsigned(param_or(params, "min_length", "0"), kMaxMinLength)) {
    return usage_error("parameter 'min_length': expected a whole number of characters");
  }
  return ok_status();
}

bool entropy_check(std::string_view value, const ValidatorParams& params) {
  auto found = params.find("min_bits");
  if (found == params.end()) return false;
  auto min_bits = parse_bits(found->second);
  auto min_length = parse_unsigned(param_or(params, "min_length", "0"), kMaxMinLength);
  return min_bits && min_length && value.size() >= *min_length && shannon_entropy(value) >= *min_bits;
}

}  // namespace

std::vector<ValidatorInfo> kit::date_and_entropy_validators() {
  return {
      {"date", "A real calendar date, 1900-2100: ISO, numeric with / or ., or with an English month name", date_check,
       date_params},
      {"entropy", "Shannon entropy per character of at least min_bits (for keys and tokens)", entropy_check,
       entropy_params},
  };
}

}  // namespace airlock::detect
