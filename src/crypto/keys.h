// age keys: X25519 key pairs in their Bech32 text form, and the SecretBytes
// container every secret in the crypto component lives in.
//
// Text forms (age-encryption.org/v1):
//   recipient  "age1" + Bech32(hrp "age", 32-byte X25519 public key), lowercase
//   identity   "AGE-SECRET-KEY-1" + Bech32(hrp "age-secret-key-", 32-byte
//              X25519 private scalar), uppercase
//
// What this protects: secrets are wiped (OPENSSL_cleanse) when their holder is
// destroyed, and never appear in error messages. What it does not: a secret
// can still reach swap or a core dump while in use, and anything the caller
// copies out of SecretBytes is the caller's to wipe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace airlock::crypto {

// An owned secret byte string, wiped on destruction. Move-only, so a secret
// is never silently duplicated.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size) : bytes_(size) {}
  explicit SecretBytes(std::string_view text) : bytes_(text.begin(), text.end()) {}
  ~SecretBytes() { wipe(); }
  SecretBytes(SecretBytes&& other) noexcept = default;
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    wipe();
    bytes_ = std::move(other.bytes_);
    return *this;
  }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  std::string_view view() const { return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()}; }
  // Constant-time comparison (CRYPTO_memcmp); sizes are not secret.
  bool equals(const SecretBytes& other) const;

 private:
  void wipe();
  std::vector<uint8_t> bytes_;
};

constexpr size_t kX25519KeySize = 32;

// An X25519 public key: whom a file is encrypted to.
class X25519Recipient {
 public:
  // "age1…"; a usage error naming what is wrong (never a checksum guess).
  static Result<X25519Recipient> parse(std::string_view text);
  static X25519Recipient from_bytes(const std::array<uint8_t, kX25519KeySize>& key);
  std::string encode() const;
  const std::array<uint8_t, kX25519KeySize>& bytes() const { return key_; }

 private:
  std::array<uint8_t, kX25519KeySize> key_{};
};

// An X25519 private key: what opens files encrypted to its recipient.
class X25519Identity {
 public:
  static Result<X25519Identity> generate();
  // "AGE-SECRET-KEY-1…". Errors never echo the text.
  static Result<X25519Identity> parse(std::string_view text);
  SecretBytes encode() const;
  const X25519Recipient& recipient() const { return recipient_; }
  const SecretBytes& secret() const { return secret_; }

 private:
  SecretBytes secret_;
  X25519Recipient recipient_;
};

}  // namespace airlock::crypto
