// Keyed hashing for pseudonyms and hashed values (HMAC-SHA256, RFC 2104,
// OpenSSL's), and the 32-byte keys it uses.
//
// What it protects against: without the key, a pseudonym or hash reveals
// nothing about the value and cannot be tested against guesses (a plain
// hash of a phone number or an SSN could be, by trying them all). With the
// key, the same value always gives the same output: anyone holding the key
// can test guesses, so the key is as sensitive as the data.
#pragma once

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
SecretBytes format_keyed_hash_key(const SecretBytes& key);

// HMAC-SHA256(key, message) in lower-case hex (64 digits). Fails only if
// OpenSSL does.
Result<std::string> keyed_hash_hex(const SecretBytes& key, std::string_view message);

}  // namespace airlock::crypto
