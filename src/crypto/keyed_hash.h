// Keyed hashing for pseudonyms and hashed values (HMAC-SHA256, RFC 2104,
// OpenSSL's), and the 32-byte keys it uses.
//
// What it protects against: without the key, a pseudonym or hash reveals
// nothing about the value and cannot be tested against guesses (a plain
// hash of a phone number or an SSN could be, by trying them all). With the
// key, the same value always gives the same output: anyone holding the key
// can test guesses, so the key is as sensitive as the data.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "crypto/keys.h"

namespace airlock::crypto {

constexpr size_t kKeyedHashKeySize = 32;

// A fresh key from the OpenSSL CSPRNG.
Result<SecretBytes> new_keyed_hash_key();

// A key written as 64 hexadecimal digits (what write_keyed_hash_key
// gives); `name` names the file in errors, which never quote the content.
Result<SecretBytes> parse_keyed_hash_key(std::string_view text, const std::string& name);
// The key as a file's content: a comment line, then 64 hex digits (a
// SecretBytes, so that the text is wiped too).
SecretBytes format_keyed_hash_key(const SecretBytes& key,
                                  std::string_view comment = "airlock pseudonym key: keep it as safe as the data it pseudonymizes");

// HMAC-SHA256(key, message) in lower-case hex (64 digits). Fails only if
// OpenSSL does.
Result<std::string> keyed_hash_hex(const SecretBytes& key, std::string_view message);

// HMAC-SHA256 for many short messages (one per record of a run): the
// key's inner and outer pads are hashed once, so each message costs two
// context copies and the hashing itself. Same results as keyed_hash_hex.
// Thread-safe: digest() only reads the prepared contexts.
class KeyedDigester {
 public:
  static Result<std::unique_ptr<KeyedDigester>> create(const SecretBytes& key);
  ~KeyedDigester();
  // Appends the 64 hex digits of HMAC-SHA256(key, message) to `out`.
  Status digest_hex(std::string_view message, std::string& out) const;

 private:
  KeyedDigester() = default;
  struct Contexts;
  std::unique_ptr<Contexts> contexts_;
};

}  // namespace airlock::crypto
