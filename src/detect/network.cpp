// Validators for network identifiers: IPv4 and IPv6 addresses, e-mail domains, phone numbers.
#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <array>
#include <set>

#include "detect/validator_kit.h"

namespace airlock::detect {
namespace {

using namespace kit;

// ---- ipv4 ---------------------------------------------------------------------------------------

// A dotted quad of decimal octets 0-255 without leading zeros ("01" is octal to some parsers,
// decimal to others: not an address anyone writes on purpose).
std::optional<std::array<unsigned, 4>> parse_ipv4(std::string_view text) {
  std::array<unsigned, 4> octets{};
  for (size_t i = 0; i < 4; ++i) {
    size_t dot = text.find('.');
    if ((i < 3) == (dot == std::string_view::npos)) return std::nullopt;
    std::string_view part = text.substr(0, dot);
    if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0')) return std::nullopt;
    auto octet = parse_unsigned(part, 255);
    if (!octet) return std::nullopt;
    octets[i] = *octet;
    if (i < 3) text.remove_prefix(dot + 1);
  }
  return octets;
}

// RFC 1918 private ranges, loopback (RFC 1122) and link-local (RFC 3927).
bool is_private_ipv4(const std::array<unsigned, 4>& o) {
  return o[0] == 10 || (o[0] == 172 && o[1] >= 16 && o[1] <= 31) || (o[0] == 192 && o[1] == 168) || o[0] == 127 ||
         (o[0] == 169 && o[1] == 254);
}

bool is_bool(std::string_view text) { return text == "true" || text == "false"; }

Status ipv4_params(const ValidatorParams& params) {
  return one_optional_param(params, "allow_private", is_bool, "true or false");
}

bool ipv4_check(std::string_view value, const ValidatorParams& params) {
  std::string_view allow = param_or(params, "allow_private", "true");
  if (!is_bool(allow)) return false;
  auto octets = parse_ipv4(value);
  return octets && (allow == "true" || !is_private_ipv4(*octets));
}

// ---- ipv6 ---------------------------------------------------------------------------------------

constexpr size_t kLongestIpv6 = 45;  // ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255

// Counts the 16-bit groups of a ':'-separated run ("1:db8:ff" is 3); an IPv4 tail counts 2 and is
// allowed only when `may_end_with_ipv4`. False for an empty group or a malformed one.
bool count_ipv6_groups(std::string_view run, bool may_end_with_ipv4, size_t& groups) {
  if (run.empty()) return true;
  while (true) {
    size_t colon = run.find(':');
    std::string_view group = run.substr(0, colon);
    bool last = colon == std::string_view::npos;
    if (last && may_end_with_ipv4 && group.find('.') != std::string_view::npos) {
      if (!parse_ipv4(group)) return false;
      groups += 2;
      return true;
    }
    if (group.empty() || group.size() > 4 || !std::all_of(group.begin(), group.end(), [](char c) {
          return is_digit(c) || (to_upper(c) >= 'A' && to_upper(c) <= 'F');
        })) {
      return false;
    }
    ++groups;
    if (last) return true;
    run.remove_prefix(colon + 1);
  }
}

// RFC 4291 section 2.2 text forms: eight groups, or fewer around one "::", the last 32 bits
// possibly as a dotted quad. Zone ids ("fe80::1%eth0") are refused: they name an interface of
// the writer's host, and the '%' form is not an address.
bool ipv6_check(std::string_view value, const ValidatorParams&) {
  if (value.size() < 2 || value.size() > kLongestIpv6) return false;
  size_t gap = value.find("::");
  size_t groups = 0;
  if (gap == std::string_view::npos) return count_ipv6_groups(value, true, groups) && groups == 8;
  if (value.find("::", gap + 1) != std::string_view::npos) return false;
  return count_ipv6_groups(value.substr(0, gap), false, groups) &&
         count_ipv6_groups(value.substr(gap + 2), true, groups) && groups <= 7;
}

// ---- email_domain -------------------------------------------------------------------------------

constexpr size_t kLongestLocalPart = 64;  // RFC 5321 section 4.5.3.1
constexpr size_t kLongestDomain = 253;
constexpr size_t kLongestLabel = 63;

bool is_label_char(char c) { return is_digit(c) || is_alpha(c) || c == '-'; }

bool is_valid_label(std::string_view label) {
  return !label.empty() && label.size() <= kLongestLabel && label.front() != '-' && label.back() != '-' &&
         std::all_of(label.begin(), label.end(), is_label_char);
}

// Top-level domains are alphabetic, or IDNs in their ASCII form ("xn--p1ai").
bool is_valid_tld(std::string_view tld) {
  bool punycode = tld.size() > 4 && (tld.substr(0, 4) == "xn--" || tld.substr(0, 4) == "XN--");
  return punycode || (tld.size() >= 2 && std::all_of(tld.begin(), tld.end(), is_alpha));
}

bool is_valid_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > kLongestDomain) return false;
  size_t labels = 0;
  while (true) {
    size_t dot = domain.find('.');
    std::string_view label = domain.substr(0, dot);
    if (!is_valid_label(label)) return false;
    ++labels;
    if (dot == std::string_view::npos) return labels >= 2 && is_valid_tld(label);
    domain.remove_prefix(dot + 1);
  }
}

// The value is an address ("local@domain": the part after the last '@' is the domain) or a bare
// domain. Only the local part's length is checked: quoting rules vary too much between mail
// systems to reject addresses on their account.
bool email_domain_check(std::string_view value, const ValidatorParams&) {
  size_t at = value.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view local = value.substr(0, at);
    if (local.empty() || local.size() > kLongestLocalPart) return false;
    if (std::any_of(local.begin(), local.end(), [](char c) { return static_cast<unsigned char>(c) <= ' '; })) {
      return false;
    }
    value.remove_prefix(at + 1);
  }
  return is_valid_domain(value);
}

// ---- phone --------------------------------------------------------------------------------------

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

constexpr size_t kLongestPhone = 64;
constexpr std::string_view kDefaultRegion = "US";

bool is_supported_region(std::string_view region) {
  static const std::set<std::string> supported = [] {
    std::set<std::string> regions;
    PhoneNumberUtil::GetInstance()->GetSupportedRegions(&regions);
    return regions;
  }();
  return supported.count(std::string(region)) > 0;
}

Status phone_params(const ValidatorParams& params) {
  return one_optional_param(params, "region", is_supported_region,
                            "an ISO 3166-1 alpha-2 region libphonenumber knows, such as US or GB");
}

// What people write phone numbers with. Letters are refused: libphonenumber reads them as keypad
// digits (1-800-FLOWERS), so any word next to a few digits could become a valid number.
bool is_phone_char(char c) { return is_digit(c) || std::string_view(" +-.()/").find(c) != std::string_view::npos; }

// libphonenumber's IsValidNumber: the number's length and leading digits match a range its
// metadata lists as allocated for the region. A leading + with a country code wins over `region`.
bool phone_check(std::string_view value, const ValidatorParams& params) {
  if (value.empty() || value.size() > kLongestPhone || !std::all_of(value.begin(), value.end(), is_phone_char)) {
    return false;
  }
  std::string_view region = param_or(params, "region", kDefaultRegion);
  try {
    if (!is_supported_region(region)) return false;
    const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
    PhoneNumber number;
    if (util.Parse(std::string(value), std::string(region), &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
      return false;
    }
    return util.IsValidNumber(number);
  } catch (...) {  // libphonenumber documents no exceptions; allocation failures still must not escape
    return false;
  }
}

}  // namespace

std::vector<ValidatorInfo> kit::network_validators() {
  return {
      {"ipv4", "IPv4 dotted quad, octets 0-255 without leading zeros; optionally public addresses only", ipv4_check,
       ipv4_params},
      {"ipv6", "IPv6 address in full or compressed form, with an optional IPv4 tail, no zone id", ipv6_check,
       no_params},
      {"email_domain", "E-mail address or domain: DNS label rules, a real TLD shape, RFC 5321 lengths",
       email_domain_check, no_params},
      {"phone", "Phone number libphonenumber considers valid for the region (default US) or its + country code",
       phone_check, phone_params},
  };
}

}  // namespace airlock::detect
