// Ed25519 signatures (RFC 8032, OpenSSL's) for manifests and receipts, and
// the text forms of signing keys.
//
//   public key:  "ed25519:" + base64 of the 32-byte key (44 characters)
//   secret file: comment lines, then "AIRLOCK-ED25519-SECRET-KEY:" + base64
//                of the 32-byte seed
//
// A signature is the 64 bytes of RFC 8032 over the exact bytes signed,
// written in base64.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "crypto/keys.h"

namespace airlock::crypto {

class SigningKey {
 public:
  static Result<SigningKey> generate();
  // The key file's content; `name` names it in errors, which never quote
  // the content.
  static Result<SigningKey> parse(std::string_view file_text, const std::string& name);

  // "# public key: ed25519:...\nAIRLOCK-ED25519-SECRET-KEY:...\n" — the
  // caller adds a creation comment above.
  SecretBytes encode() const;
  std::string public_key() const;  // "ed25519:..."
  // The base64 signature of `message`.
  Result<std::string> sign(std::string_view message) const;

 private:
  SecretBytes seed_;
  std::string public_key_;
};

// "ed25519:..." → the 32 raw bytes; a usage error naming `name` otherwise.
// Also accepts a file's content: comment lines (#) and blank lines are
// skipped, and a "# public key: ed25519:..." comment of a secret key file
// is used when that is all there is.
Result<std::string> parse_public_key(std::string_view text, const std::string& name);

// Whether `signature_base64` is a valid signature of `message` by the raw
// 32-byte `public_key`. Never throws, never an error: false for anything
// malformed.
bool verify_signature(std::string_view public_key, std::string_view message, std::string_view signature_base64);
// The text form of a raw 32-byte public key.
std::string format_public_key(std::string_view public_key);

}  // namespace airlock::crypto
