// Header parsing and serialisation, and the X25519 and scrypt stanzas.
#include "crypto/header.h"

#include <openssl/crypto.h>

#include <array>
#include <cstring>

#include "crypto/primitives.h"

namespace airlock::crypto::internal {
namespace {

constexpr std::string_view kX25519Type = "X25519";
constexpr std::string_view kScryptType = "scrypt";
constexpr std::string_view kX25519Label = "age-encryption.org/v1/X25519";
constexpr std::string_view kScryptLabel = "age-encryption.org/v1/scrypt";
constexpr std::string_view kHeaderLabel = "header";
constexpr size_t kScryptSaltSize = 16;
constexpr size_t kHybridEncapsulationSize = 1088 + 32;  // ML-KEM-768 ciphertext + X25519 share
constexpr uint8_t kZeroNonce[kAeadNonceSize] = {};

Error header_error(const std::string& reason) { return input_error("age header: " + reason); }

bool is_argument_char(char c) { return c >= 0x21 && c <= 0x7e; }

// Splits "a b c" on single spaces; nullopt for empty or non-printable args.
std::optional<std::vector<std::string>> split_arguments(std::string_view text) {
  std::vector<std::string> args;
  for (;;) {
    size_t space = text.find(' ');
    std::string_view arg = text.substr(0, space);
    if (arg.empty()) return std::nullopt;
    for (char c : arg) {
      if (!is_argument_char(c)) return std::nullopt;
    }
    args.emplace_back(arg);
    if (space == std::string_view::npos) return args;
    text.remove_prefix(space + 1);
  }
}

// Seals the 16-byte file key under a wrapping key, as both stanza types do.
Result<Bytes> seal_file_key(const uint8_t wrap_key[kKeySize], const SecretBytes& file_key) {
  Bytes body(kWrappedKeySize);
  ChaChaPoly aead(wrap_key);
  if (!aead.seal(kZeroNonce, file_key.data(), file_key.size(), body.data())) {
    return internal_error("ChaCha20-Poly1305 failed");
  }
  return body;
}

// Opens a wrapped file key; false when the tag does not verify.
bool open_file_key(const uint8_t wrap_key[kKeySize], const Bytes& body, SecretBytes* file_key) {
  SecretBytes key(kFileKeySize);
  ChaChaPoly aead(wrap_key);
  if (!aead.open(kZeroNonce, body.data(), body.size(), key.data())) return false;
  *file_key = std::move(key);
  return true;
}

Status derive_x25519_wrap_key(const uint8_t shared[kKeySize], const uint8_t share[kKeySize],
                              const uint8_t recipient[kKeySize], uint8_t wrap_key[kKeySize]) {
  uint8_t salt[2 * kKeySize];
  std::memcpy(salt, share, kKeySize);
  std::memcpy(salt + kKeySize, recipient, kKeySize);
  return hkdf_sha256(shared, kKeySize, salt, sizeof salt, kX25519Label, wrap_key, kKeySize);
}

Status derive_scrypt_wrap_key(const SecretBytes& passphrase, const uint8_t salt[kScryptSaltSize], int work_factor,
                              uint8_t wrap_key[kKeySize]) {
  std::string full_salt(kScryptLabel);
  full_salt.append(reinterpret_cast<const char*>(salt), kScryptSaltSize);
  return scrypt(passphrase.view(), reinterpret_cast<const uint8_t*>(full_salt.data()), full_salt.size(), work_factor,
                wrap_key);
}

Result<Stanza> wrap_x25519(const X25519Recipient& recipient, const SecretBytes& file_key) {
  SecretBytes ephemeral(kKeySize);
  if (Status s = random_bytes(ephemeral.data(), kKeySize); !s.ok()) return s.error();
  uint8_t share[kKeySize];
  uint8_t shared[kKeySize];
  uint8_t wrap_key[kKeySize];
  if (!x25519_public_key(ephemeral.data(), share) ||
      !x25519_shared_secret(ephemeral.data(), recipient.bytes().data(), shared)) {
    return usage_error("X25519 recipient " + recipient.encode() + " is not a usable public key");
  }
  Status derived = derive_x25519_wrap_key(shared, share, recipient.bytes().data(), wrap_key);
  OPENSSL_cleanse(shared, sizeof shared);
  if (!derived.ok()) return derived.error();
  Result<Bytes> body = seal_file_key(wrap_key, file_key);
  OPENSSL_cleanse(wrap_key, sizeof wrap_key);
  if (!body.ok()) return body.error();
  return Stanza{std::string(kX25519Type), {base64_encode_unpadded(share, kKeySize)}, std::move(body.value())};
}

Result<Stanza> wrap_scrypt(const SecretBytes& passphrase, int work_factor, const SecretBytes& file_key) {
  uint8_t salt[kScryptSaltSize];
  if (Status s = random_bytes(salt, sizeof salt); !s.ok()) return s.error();
  uint8_t wrap_key[kKeySize];
  if (Status s = derive_scrypt_wrap_key(passphrase, salt, work_factor, wrap_key); !s.ok()) return s.error();
  Result<Bytes> body = seal_file_key(wrap_key, file_key);
  OPENSSL_cleanse(wrap_key, sizeof wrap_key);
  if (!body.ok()) return body.error();
  return Stanza{std::string(kScryptType),
                {base64_encode_unpadded(salt, sizeof salt), std::to_string(work_factor)},
                std::move(body.value())};
}

// Decodes a base64 argument of exactly `size` bytes.
std::optional<Bytes> decode_fixed(const std::string& text, size_t size) {
  std::optional<Bytes> bytes = base64_decode_unpadded(text);
  if (!bytes || bytes->size() != size) return std::nullopt;
  return bytes;
}

Result<bool> unwrap_x25519(const X25519Identity& identity, const Stanza& stanza, SecretBytes* file_key) {
  if (stanza.args.size() != 1) return header_error("X25519 stanza must have exactly one argument");
  std::optional<Bytes> share = decode_fixed(stanza.args[0], kKeySize);
  if (!share) return header_error("X25519 stanza share is not 32 bytes of canonical base64");
  if (stanza.body.size() != kWrappedKeySize) return header_error("X25519 stanza body is not a wrapped 16-byte key");
  uint8_t shared[kKeySize];
  if (!x25519_shared_secret(identity.secret().data(), share->data(), shared)) {
    return header_error("X25519 stanza share is a low-order point");
  }
  uint8_t wrap_key[kKeySize];
  Status derived = derive_x25519_wrap_key(shared, share->data(), identity.recipient().bytes().data(), wrap_key);
  OPENSSL_cleanse(shared, sizeof shared);
  if (!derived.ok()) return derived.error();
  bool opened = open_file_key(wrap_key, stanza.body, file_key);
  OPENSSL_cleanse(wrap_key, sizeof wrap_key);
  return opened;
}

// The work factor as age writes it: decimal, no sign, no leading zero.
std::optional<int> parse_work_factor(const std::string& text) {
  if (text.empty() || text.size() > 2 || text[0] == '0') return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

Result<bool> unwrap_scrypt(const SecretBytes& passphrase, int max_work_factor, const Stanza& stanza,
                           SecretBytes* file_key) {
  if (stanza.args.size() != 2) return header_error("scrypt stanza must have exactly two arguments");
  std::optional<Bytes> salt = decode_fixed(stanza.args[0], kScryptSaltSize);
  if (!salt) return header_error("scrypt stanza salt is not 16 bytes of canonical base64");
  std::optional<int> work_factor = parse_work_factor(stanza.args[1]);
  if (!work_factor) return header_error("scrypt stanza work factor is not a positive decimal number");
  if (*work_factor > max_work_factor) {
    return header_error("scrypt work factor " + std::to_string(*work_factor) + " exceeds the limit of " +
                        std::to_string(max_work_factor) + " (refused: it would take too long and too much memory)");
  }
  if (stanza.body.size() != kWrappedKeySize) return header_error("scrypt stanza body is not a wrapped 16-byte key");
  uint8_t wrap_key[kKeySize];
  if (Status s = derive_scrypt_wrap_key(passphrase, salt->data(), *work_factor, wrap_key); !s.ok()) return s.error();
  bool opened = open_file_key(wrap_key, stanza.body, file_key);
  OPENSSL_cleanse(wrap_key, sizeof wrap_key);
  return opened;
}

// Reads one "\n"-terminated header line into `content` (without "\n").
Status read_header_line(BufferedReader& reader, std::string* line, std::string* mac_input, bool* read_failed) {
  Result<bool> got = reader.read_line(line, kMaxHeaderLine);
  if (!got.ok()) {
    *read_failed = true;
    return got.error();
  }
  if (line->size() > kMaxHeaderLine) return header_error("a header line is too long");
  if (!got.value() || line->back() != '\n') return header_error("the header is truncated");
  mac_input->append(*line);
  if (mac_input->size() > kMaxHeaderSize) return header_error("the header is too large");
  line->pop_back();
  return ok_status();
}

Status read_stanza_body(BufferedReader& reader, std::string* mac_input, Bytes* body, bool* read_failed) {
  std::string line;
  for (;;) {
    if (Status s = read_header_line(reader, &line, mac_input, read_failed); !s.ok()) return s;
    if (line.size() > kBodyColumns) return header_error("a stanza body line is longer than 64 columns");
    std::optional<Bytes> chunk = base64_decode_unpadded(line);
    if (!chunk) return header_error("a stanza body is not canonical base64");
    body->insert(body->end(), chunk->begin(), chunk->end());
    if (line.size() < kBodyColumns) return ok_status();  // the short line ends the body
  }
}

Status parse_header(BufferedReader& reader, ParsedHeader* header, bool* read_failed) {
  std::string line;
  if (Status s = read_header_line(reader, &line, &header->mac_input, read_failed); !s.ok()) return s;
  if (line != kVersionLine) {
    if (line.starts_with(kMagicPrefix)) return header_error("unsupported age version '" + line + "'");
    return header_error("not an age file");
  }
  for (;;) {
    size_t line_start = header->mac_input.size();
    if (Status s = read_header_line(reader, &line, &header->mac_input, read_failed); !s.ok()) return s;
    if (line.starts_with("---")) {
      // The MAC covers the header through "---", without the space and MAC.
      header->mac_input.resize(line_start + 3);
      std::optional<Bytes> mac;
      if (line.size() > 4 && line[3] == ' ') mac = decode_fixed(line.substr(4), kSha256Size);
      if (!mac) return header_error("malformed MAC line");
      header->mac = std::move(*mac);
      return ok_status();
    }
    if (!line.starts_with("-> ")) return header_error("malformed stanza line");
    std::optional<std::vector<std::string>> args = split_arguments(std::string_view(line).substr(3));
    if (!args) return header_error("malformed stanza arguments");
    Stanza stanza;
    stanza.type = std::move(args->front());
    stanza.args.assign(args->begin() + 1, args->end());
    if (Status s = read_stanza_body(reader, &header->mac_input, &stanza.body, read_failed); !s.ok()) return s;
    header->stanzas.push_back(std::move(stanza));
  }
}

}  // namespace

std::string header_without_mac(const std::vector<Stanza>& stanzas) {
  std::string out(kVersionLine);
  out += '\n';
  for (const Stanza& stanza : stanzas) {
    out += "-> " + stanza.type;
    for (const std::string& arg : stanza.args) out += " " + arg;
    out += '\n';
    std::string body = base64_encode_unpadded(stanza.body.data(), stanza.body.size());
    size_t at = 0;
    for (; at + kBodyColumns <= body.size(); at += kBodyColumns) out += body.substr(at, kBodyColumns) + "\n";
    out += body.substr(at) + "\n";  // always a short (maybe empty) last line
  }
  out += "---";
  return out;
}

Result<Bytes> header_mac(const SecretBytes& file_key, std::string_view mac_input) {
  uint8_t mac_key[kKeySize];
  if (Status s = hkdf_sha256(file_key.data(), file_key.size(), nullptr, 0, kHeaderLabel, mac_key, kKeySize); !s.ok()) {
    return s.error();
  }
  Bytes mac(kSha256Size);
  Status s = hmac_sha256(mac_key, kKeySize, mac_input, mac.data());
  OPENSSL_cleanse(mac_key, sizeof mac_key);
  if (!s.ok()) return s.error();
  return mac;
}

Result<ParsedHeader> read_header(BufferedReader& reader, bool armored, const std::string& name,
                                 DecryptFailure* failure) {
  ParsedHeader header;
  bool read_failed = false;
  Status parsed = parse_header(reader, &header, &read_failed);
  if (parsed.ok()) {
    size_t scrypt_stanzas = 0;
    for (const Stanza& stanza : header.stanzas) scrypt_stanzas += stanza.type == kScryptType;
    if (scrypt_stanzas > 0 && header.stanzas.size() != 1) {
      parsed = header_error("a passphrase (scrypt) stanza must be the file's only stanza");
    }
  }
  if (parsed.ok()) return header;
  if (read_failed) {
    *failure = armored && parsed.error().kind != ErrorKind::kIo ? DecryptFailure::kArmorFailure : DecryptFailure::kIo;
  } else {
    *failure = DecryptFailure::kHeaderFailure;
  }
  Error error = parsed.error();
  error.message = name + ": " + error.message;
  return error;
}

Result<Stanza> wrap_file_key(const Recipient& recipient, const SecretBytes& file_key) {
  if (const X25519Recipient* key = recipient.x25519_key()) return wrap_x25519(*key, file_key);
  return wrap_scrypt(*recipient.passphrase_secret(), recipient.work_factor(), file_key);
}

Result<bool> unwrap_file_key(const Identity& identity, const Stanza& stanza, SecretBytes* file_key) {
  if (const X25519Identity* key = identity.x25519_key()) {
    if (stanza.type != kX25519Type) return false;
    return unwrap_x25519(*key, stanza, file_key);
  }
  if (stanza.type != kScryptType) return false;
  return unwrap_scrypt(*identity.passphrase_secret(), identity.max_work_factor(), stanza, file_key);
}

Status check_unsupported_stanza(const Stanza& stanza) {
  if (stanza.type != kHybridType) return ok_status();
  if (stanza.args.size() != 1 || !decode_fixed(stanza.args[0], kHybridEncapsulationSize) ||
      stanza.body.size() != kWrappedKeySize) {
    return header_error("malformed mlkem768x25519 stanza");
  }
  return ok_status();
}

}  // namespace airlock::crypto::internal
