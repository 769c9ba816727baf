// The age header: stanzas, their wrapping and unwrapping of the file key,
// and the header MAC (internal to the crypto component).
//
// Wire format (age-encryption.org/v1, every line ends in "\n", never "\r\n"):
//   age-encryption.org/v1
//   -> TYPE ARG...            ARGs: non-empty, printable ASCII, single spaces
//   BODY                      canonical unpadded base64, 64 columns; the last
//                             line is shorter than 64 (empty if need be)
//   ...more stanzas...
//   --- MAC                   MAC = base64(HMAC-SHA256(HKDF(file key, "",
//                             "header"), every header byte through "---"))
//
// Stanzas airlock writes and reads:
//   -> X25519 base64(ephemeral share)
//      body = ChaCha20-Poly1305(HKDF(X25519(e, R), share || R,
//             "age-encryption.org/v1/X25519"), zero nonce, file key)
//   -> scrypt base64(16-byte salt) LOG2N      (must be the only stanza)
//      body = ChaCha20-Poly1305(scrypt(passphrase, "age-encryption.org/v1/scrypt"
//             || salt, N=2^LOG2N, r=8, p=1), zero nonce, file key)
// Other types are skipped (age's "grease"); mlkem768x25519 is recognised as
// unsupported so that the error can say so.
#pragma once

#include <string>
#include <vector>

#include "crypto/age.h"
#include "crypto/encoding.h"
#include "crypto/primitives.h"
#include "crypto/reader.h"

namespace airlock::crypto::internal {

constexpr std::string_view kVersionLine = "age-encryption.org/v1";
constexpr std::string_view kMagicPrefix = "age-encryption.org/";
constexpr size_t kFileKeySize = 16;
constexpr size_t kWrappedKeySize = kFileKeySize + kAeadTagSize;
constexpr size_t kBodyColumns = 64;
constexpr size_t kMaxHeaderLine = 64 * 1024;  // a hostile header cannot make us buffer more
constexpr size_t kMaxHeaderSize = 1024 * 1024;
constexpr std::string_view kHybridType = "mlkem768x25519";

struct Stanza {
  std::string type;
  std::vector<std::string> args;
  Bytes body;
};

struct ParsedHeader {
  std::vector<Stanza> stanzas;
  std::string mac_input;  // header bytes through "---", what the MAC covers
  Bytes mac;
};

// Serialises stanzas into the header text through "---" (no MAC yet).
std::string header_without_mac(const std::vector<Stanza>& stanzas);
// The MAC line's value over `mac_input`, keyed from the file key.
Result<Bytes> header_mac(const SecretBytes& file_key, std::string_view mac_input);

// Reads and syntax-checks the header. On failure `*failure` says whether the
// header is malformed (kHeaderFailure) or reading failed (kIo / kArmorFailure).
Result<ParsedHeader> read_header(BufferedReader& reader, bool armored, const std::string& name,
                                 DecryptFailure* failure);

// Wraps the file key for one recipient.
Result<Stanza> wrap_file_key(const Recipient& recipient, const SecretBytes& file_key);

// Tries one identity on one stanza: true with the file key when it opens,
// false when the stanza is not for this identity, an error (a header
// failure) when the stanza is malformed.
Result<bool> unwrap_file_key(const Identity& identity, const Stanza& stanza, SecretBytes* file_key);

// A header failure for a stanza of a recognised but unsupported type that
// is malformed; ok otherwise.
Status check_unsupported_stanza(const Stanza& stanza);

}  // namespace airlock::crypto::internal
