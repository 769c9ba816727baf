// Validators for cryptocurrency addresses: Bitcoin (base58check, bech32, bech32m) and Ethereum
// (EIP-55 mixed-case checksums).
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "detect/keccak.h"
#include "detect/validator_kit.h"

namespace airlock::detect {
namespace {

using namespace kit;

// ---- btc_address: base58check -------------------------------------------------------------------

constexpr std::string_view kBase58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr size_t kBase58PayloadBytes = 25;  // version, 20-byte hash, 4-byte checksum
constexpr uint8_t kP2pkhVersion = 0x00, kP2shVersion = 0x05;

using Sha256 = std::array<unsigned char, 32>;

bool sha256(const unsigned char* data, size_t size, Sha256& out) {
  return EVP_Digest(data, size, out.data(), nullptr, EVP_sha256(), nullptr) == 1;
}

// A mainnet P2PKH ("1...") or P2SH ("3...") address: 25 bytes in base58, the last four the
// first four of SHA-256(SHA-256(the first 21)).
bool base58check_address(std::string_view value) {
  if (value.size() < 26 || value.size() > 35) return false;
  std::array<unsigned char, kBase58PayloadBytes> bytes{};
  for (char c : value) {
    size_t digit = kBase58Alphabet.find(c);
    if (digit == std::string_view::npos) return false;
    unsigned carry = static_cast<unsigned>(digit);
    for (size_t i = bytes.size(); i-- > 0;) {
      carry += 58u * bytes[i];
      bytes[i] = static_cast<unsigned char>(carry & 0xff);
      carry >>= 8;
    }
    if (carry != 0) return false;  // more than 25 bytes
  }
  // Each leading '1' stands for one leading zero byte, and only those do.
  size_t ones =
      static_cast<size_t>(std::find_if(value.begin(), value.end(), [](char c) { return c != '1'; }) - value.begin());
  size_t zeros = static_cast<size_t>(std::find_if(bytes.begin(), bytes.end(), [](unsigned char b) { return b != 0; }) -
                                     bytes.begin());
  if (ones != zeros || (bytes[0] != kP2pkhVersion && bytes[0] != kP2shVersion)) return false;
  Sha256 once, twice;
  if (!sha256(bytes.data(), 21, once) || !sha256(once.data(), once.size(), twice)) return false;
  return std::memcmp(twice.data(), bytes.data() + 21, 4) == 0;
}

// ---- btc_address: bech32 / bech32m (BIP-173, BIP-350) -------------------------------------------

constexpr std::string_view kBech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr uint32_t kBech32Constant = 1, kBech32mConstant = 0x2bc830a3;
constexpr size_t kLongestBech32 = 90;
constexpr size_t kChecksumChars = 6;

uint32_t bech32_polymod_step(uint32_t checksum, uint8_t value) {
  static constexpr uint32_t kGenerator[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  uint32_t top = checksum >> 25;
  checksum = ((checksum & 0x1ffffff) << 5) ^ value;
  for (int i = 0; i < 5; ++i) {
    if ((top >> i) & 1) checksum ^= kGenerator[i];
  }
  return checksum;
}

// A mainnet segwit address: "bc1", then 5-bit values: the witness version, the witness program
// (2-40 bytes; 20 or 32 for version 0) and a 6-value checksum, bech32 for version 0 and
// bech32m for versions 1-16. One case throughout.
bool segwit_address(std::string_view value) {
  if (value.size() < 14 || value.size() > kLongestBech32) return false;
  bool has_lower = std::any_of(value.begin(), value.end(), is_lower);
  bool has_upper = std::any_of(value.begin(), value.end(), is_upper);
  if (has_lower && has_upper) return false;
  if (to_upper(value[0]) != 'B' || to_upper(value[1]) != 'C' || value[2] != '1') return false;

  std::vector<uint8_t> data;
  for (char c : value.substr(3)) {
    char lower = is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
    size_t v = kBech32Charset.find(lower);
    if (v == std::string_view::npos) return false;
    data.push_back(static_cast<uint8_t>(v));
  }
  // The checksum covers the expanded human-readable part "bc": high bits, 0, low bits.
  uint32_t checksum = 1;
  for (uint8_t v : {uint8_t{'b' >> 5}, uint8_t{'c' >> 5}, uint8_t{0}, uint8_t{'b' & 31}, uint8_t{'c' & 31}}) {
    checksum = bech32_polymod_step(checksum, v);
  }
  for (uint8_t v : data) checksum = bech32_polymod_step(checksum, v);

  uint8_t version = data[0];
  if (version > 16) return false;
  if (checksum != (version == 0 ? kBech32Constant : kBech32mConstant)) return false;

  // Regroup the program's 5-bit values into bytes; leftover bits must be fewer than 5 and zero.
  size_t program_bytes = 0;
  unsigned bits = 0, pending = 0;
  for (size_t i = 1; i + kChecksumChars < data.size(); ++i) {
    pending = (pending << 5) | data[i];
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      ++program_bytes;
    }
    pending &= (1u << bits) - 1;
  }
  if (bits >= 5 || pending != 0) return false;
  if (program_bytes < 2 || program_bytes > 40) return false;
  return version != 0 || program_bytes == 20 || program_bytes == 32;
}

bool btc_address_check(std::string_view value, const ValidatorParams&) {
  if (value.size() >= 3 && to_upper(value[0]) == 'B' && to_upper(value[1]) == 'C' && value[2] == '1') {
    return segwit_address(value);
  }
  return base58check_address(value);
}

// ---- eth_address --------------------------------------------------------------------------------

constexpr size_t kEthHexDigits = 40;

bool is_hex(char c) { return is_digit(c) || (to_upper(c) >= 'A' && to_upper(c) <= 'F'); }

// "0x" and 40 hex digits. All-lower and all-upper addresses carry no checksum; a mixed-case one
// must follow EIP-55: letter i is upper case exactly when nibble i of Keccak-256(the lower-case
// hex) is 8 or more.
bool eth_address_check(std::string_view value, const ValidatorParams&) {
  if (value.size() != 2 + kEthHexDigits || value[0] != '0' || value[1] != 'x') return false;
  std::string_view hex = value.substr(2);
  if (!std::all_of(hex.begin(), hex.end(), is_hex)) return false;
  bool has_lower = std::any_of(hex.begin(), hex.end(), is_lower);
  bool has_upper = std::any_of(hex.begin(), hex.end(), is_upper);
  if (!has_lower || !has_upper) return true;

  std::string lowered(hex);
  for (char& c : lowered) c = is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
  Digest256 hash = keccak256(lowered);
  for (size_t i = 0; i < kEthHexDigits; ++i) {
    if (is_digit(hex[i])) continue;
    unsigned nibble = i % 2 == 0 ? hash[i / 2] >> 4 : hash[i / 2] & 0x0f;
    if (is_upper(hex[i]) != (nibble >= 8)) return false;
  }
  return true;
}

}  // namespace

std::vector<ValidatorInfo> kit::wallet_validators() {
  return {
      {"btc_address", "Bitcoin mainnet address: base58check (P2PKH, P2SH) or bech32/bech32m segwit", btc_address_check,
       no_params},
      {"eth_address", "Ethereum address: 0x and 40 hex digits, EIP-55 checksum when mixed case", eth_address_check,
       no_params},
  };
}

}  // namespace airlock::detect
