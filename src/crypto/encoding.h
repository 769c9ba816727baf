// Text encodings used by the age format (internal to the crypto component).
//
// base64: age writes standard-alphabet base64 without padding in the header
// and rejects any non-canonical encoding (a last character with non-zero
// unused bits, padding, or characters outside the alphabet), so that one
// header has exactly one byte representation and the MAC covers it.
// The ASCII armor uses the same alphabet with '=' padding.
//
// Bech32 (BIP 173, the original checksum constant, not bech32m): the text
// form of age keys, "age1…" for recipients and "AGE-SECRET-KEY-1…" for
// identities. Mixed case is rejected, as BIP 173 requires.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace airlock::crypto::internal {

using Bytes = std::vector<uint8_t>;

std::string base64_encode_unpadded(const uint8_t* data, size_t size);
std::string base64_encode_padded(const uint8_t* data, size_t size);
// Appends the padded encoding to `out` (no allocation when `out` has room).
void base64_append_padded(const uint8_t* data, size_t size, std::string* out);
// Canonical unpadded base64 only; nullopt for anything else.
std::optional<Bytes> base64_decode_unpadded(std::string_view text);
// Canonical padded base64 only (length a multiple of 4); nullopt otherwise.
std::optional<Bytes> base64_decode_padded(std::string_view text);

struct Bech32 {
  std::string hrp;  // lowercase
  Bytes data;       // 8-bit bytes
};
// Encodes in lowercase; callers upper-case the result for identities.
std::string bech32_encode(std::string_view hrp, const Bytes& data);
std::optional<Bech32> bech32_decode(std::string_view text);

}  // namespace airlock::crypto::internal
