// base64 and Bech32, written here rather than borrowed from OpenSSL because
// age needs strictness OpenSSL's decoders do not offer: EVP_DecodeBlock
// accepts padding-less input only in multiples of four and does not reject
// non-canonical trailing bits.
#include "crypto/encoding.h"

#include <openssl/crypto.h>

#include <array>
#include <cctype>

namespace airlock::crypto::internal {
namespace {

constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Maps a character to its 6-bit value, or -1.
constexpr std::array<int8_t, 256> make_base64_table() {
  std::array<int8_t, 256> table{};
  for (auto& entry : table) entry = -1;
  for (int i = 0; i < 64; ++i) table[static_cast<uint8_t>(kBase64Alphabet[i])] = static_cast<int8_t>(i);
  return table;
}
constexpr std::array<int8_t, 256> kBase64Values = make_base64_table();

void base64_append(const uint8_t* data, size_t size, bool pad, std::string& out) {
  size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    uint32_t group = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) out += kBase64Alphabet[(group >> shift) & 63];
  }
  size_t rest = size - i;
  if (rest == 0) return;
  uint32_t group = uint32_t{data[i]} << 16;
  if (rest == 2) group |= uint32_t{data[i + 1]} << 8;
  out += kBase64Alphabet[(group >> 18) & 63];
  out += kBase64Alphabet[(group >> 12) & 63];
  if (rest == 2) out += kBase64Alphabet[(group >> 6) & 63];
  if (pad) out.append(rest == 1 ? "==" : "=");
}

std::string base64_encode(const uint8_t* data, size_t size, bool pad) {
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  base64_append(data, size, pad, out);
  return out;
}

}  // namespace

std::string base64_encode_unpadded(const uint8_t* data, size_t size) { return base64_encode(data, size, false); }
std::string base64_encode_padded(const uint8_t* data, size_t size) { return base64_encode(data, size, true); }
void base64_append_padded(const uint8_t* data, size_t size, std::string* out) { base64_append(data, size, true, *out); }

std::optional<Bytes> base64_decode_unpadded(std::string_view text) {
  // A length of 1 mod 4 cannot come from any byte string.
  if (text.size() % 4 == 1) return std::nullopt;
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  uint32_t accumulator = 0;
  int bits = 0;
  for (char c : text) {
    int8_t value = kBase64Values[static_cast<uint8_t>(c)];
    if (value < 0) return std::nullopt;
    accumulator = (accumulator << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(accumulator >> bits));
      accumulator &= (1u << bits) - 1;
    }
  }
  // Canonical: the bits left over after the last whole byte must be zero.
  if (accumulator != 0) return std::nullopt;
  return out;
}

std::optional<Bytes> base64_decode_padded(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  return base64_decode_unpadded(text.substr(0, text.size() - padding));
}

// --- Bech32 (BIP 173) -------------------------------------------------------

namespace {

constexpr char kBech32Alphabet[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr uint32_t kBech32Constant = 1;  // bech32, not bech32m (0x2bc830a3)

uint32_t bech32_polymod(const std::vector<uint8_t>& values) {
  constexpr uint32_t kGenerator[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  uint32_t checksum = 1;
  for (uint8_t value : values) {
    uint32_t top = checksum >> 25;
    checksum = ((checksum & 0x1ffffff) << 5) ^ value;
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) checksum ^= kGenerator[i];
    }
  }
  return checksum;
}

std::vector<uint8_t> expand_hrp(std::string_view hrp) {
  std::vector<uint8_t> out;
  for (char c : hrp) out.push_back(static_cast<uint8_t>(c) >> 5);
  out.push_back(0);
  for (char c : hrp) out.push_back(static_cast<uint8_t>(c) & 31);
  return out;
}

// Regroups bits; `pad` on encode, strict (no leftover non-zero bits, at
// most 4 padding bits) on decode.
std::optional<std::vector<uint8_t>> convert_bits(const std::vector<uint8_t>& in, int from, int to, bool pad) {
  std::vector<uint8_t> out;
  uint32_t accumulator = 0;
  int bits = 0;
  const uint32_t max_value = (1u << to) - 1;
  for (uint8_t value : in) {
    accumulator = (accumulator << from) | value;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push_back(static_cast<uint8_t>((accumulator >> bits) & max_value));
    }
    accumulator &= (1u << bits) - 1;
  }
  if (pad) {
    if (bits > 0) out.push_back(static_cast<uint8_t>((accumulator << (to - bits)) & max_value));
  } else if (bits >= from || accumulator != 0) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::string bech32_encode(std::string_view hrp, const Bytes& data) {
  std::vector<uint8_t> values = *convert_bits(data, 8, 5, true);
  std::vector<uint8_t> checked = expand_hrp(hrp);
  checked.insert(checked.end(), values.begin(), values.end());
  checked.insert(checked.end(), 6, 0);
  uint32_t checksum = bech32_polymod(checked) ^ kBech32Constant;
  std::string out(hrp);
  out += '1';
  for (uint8_t value : values) out += kBech32Alphabet[value];
  for (int i = 0; i < 6; ++i) out += kBech32Alphabet[(checksum >> (5 * (5 - i))) & 31];
  // Identities are encoded here too: the regrouped key bits must not linger.
  OPENSSL_cleanse(values.data(), values.size());
  OPENSSL_cleanse(checked.data(), checked.size());
  return out;
}

std::optional<Bech32> bech32_decode(std::string_view text) {
  bool has_lower = false;
  bool has_upper = false;
  for (char c : text) {
    if (c < 33 || c > 126) return std::nullopt;
    has_lower |= std::islower(static_cast<unsigned char>(c)) != 0;
    has_upper |= std::isupper(static_cast<unsigned char>(c)) != 0;
  }
  if (has_lower && has_upper) return std::nullopt;
  size_t separator = text.rfind('1');
  if (separator == std::string_view::npos || separator == 0 || separator + 7 > text.size()) return std::nullopt;
  Bech32 result;
  for (char c : text.substr(0, separator)) result.hrp += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::vector<uint8_t> values;
  for (char c : text.substr(separator + 1)) {
    const char* found = nullptr;
    char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const char* p = kBech32Alphabet; *p; ++p) {
      if (*p == lower) found = p;
    }
    if (!found) return std::nullopt;
    values.push_back(static_cast<uint8_t>(found - kBech32Alphabet));
  }
  std::vector<uint8_t> checked = expand_hrp(result.hrp);
  checked.insert(checked.end(), values.begin(), values.end());
  bool checksum_ok = bech32_polymod(checked) == kBech32Constant;
  values.resize(values.size() - 6);
  std::optional<std::vector<uint8_t>> data;
  if (checksum_ok) data = convert_bits(values, 5, 8, false);
  // Identities travel through here: leave no copy of the key behind.
  OPENSSL_cleanse(values.data(), values.size());
  OPENSSL_cleanse(checked.data(), checked.size());
  if (!data) return std::nullopt;
  result.data = std::move(*data);
  return result;
}

}  // namespace airlock::crypto::internal
