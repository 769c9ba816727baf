#include "crypto/keyed_hash.h"

#include <algorithm>
#include <cctype>

#include "crypto/primitives.h"

namespace airlock::crypto {
namespace {
constexpr char kHex[] = "0123456789abcdef";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Result<SecretBytes> new_keyed_hash_key() {
  SecretBytes key(kKeyedHashKeySize);
  if (Status s = internal::random_bytes(key.data(), key.size()); !s.ok()) return s.error();
  return key;
}

Result<SecretBytes> parse_keyed_hash_key(std::string_view text, const std::string& name) {
  SecretBytes key(kKeyedHashKeySize);
  size_t digits = 0;
  size_t line_start = 0;
  while (line_start < text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    std::string_view line = text.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    if (line.empty() || line[0] == '#') continue;
    for (char c : line) {
      if (c == '\r' || c == ' ' || c == '\t') continue;
      int value = hex_digit(c);
      if (value < 0 || digits >= 2 * kKeyedHashKeySize) return usage_error(name + ": not a pseudonym key (64 hex digits)");
      key.data()[digits / 2] = static_cast<uint8_t>(key.data()[digits / 2] << 4 | value);
      ++digits;
    }
  }
  if (digits != 2 * kKeyedHashKeySize) return usage_error(name + ": not a pseudonym key (64 hex digits)");
  return key;
}

SecretBytes format_keyed_hash_key(const SecretBytes& key) {
  constexpr std::string_view kComment = "# airlock pseudonym key: keep it as safe as the data it pseudonymizes\n";
  SecretBytes out(kComment.size() + 2 * key.size() + 1);
  uint8_t* at = std::copy(kComment.begin(), kComment.end(), out.data());
  for (size_t i = 0; i < key.size(); ++i) {
    *at++ = static_cast<uint8_t>(kHex[key.data()[i] >> 4]);
    *at++ = static_cast<uint8_t>(kHex[key.data()[i] & 15]);
  }
  *at = '\n';
  return out;
}

Result<std::string> keyed_hash_hex(const SecretBytes& key, std::string_view message) {
  uint8_t mac[internal::kSha256Size];
  if (Status s = internal::hmac_sha256(key.data(), key.size(), message, mac); !s.ok()) return s.error();
  std::string out;
  for (uint8_t b : mac) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace airlock::crypto
