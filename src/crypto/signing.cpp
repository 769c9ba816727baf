// Ed25519 through OpenSSL's EVP_PKEY (one-shot EVP_DigestSign, as RFC 8032
// signs the whole message, not a digest of it).
#include "crypto/signing.h"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "crypto/encoding.h"
#include "crypto/primitives.h"

namespace airlock::crypto {
namespace {

constexpr size_t kEd25519KeySize = 32;
constexpr size_t kEd25519SignatureSize = 64;
constexpr std::string_view kPublicPrefix = "ed25519:";
constexpr std::string_view kSecretPrefix = "AIRLOCK-ED25519-SECRET-KEY:";

using internal::MdCtxPtr;
using internal::PkeyPtr;

std::string_view trim(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  return line;
}

// Calls `visit` on each trimmed line of `text`.
template <typename Visit>
void for_each_line(std::string_view text, Visit visit) {
  while (!text.empty()) {
    size_t end = text.find('\n');
    visit(trim(text.substr(0, end)));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

std::string raw_public_key(const SecretBytes& seed) {
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  uint8_t raw[kEd25519KeySize];
  size_t size = sizeof raw;
  if (!key || EVP_PKEY_get_raw_public_key(key.get(), raw, &size) != 1 || size != sizeof raw) return {};
  return std::string(reinterpret_cast<const char*>(raw), size);
}

}  // namespace

Result<SigningKey> SigningKey::generate() {
  SigningKey key;
  key.seed_ = SecretBytes(kEd25519KeySize);
  if (Status s = internal::random_bytes(key.seed_.data(), key.seed_.size()); !s.ok()) return s.error();
  key.public_key_ = raw_public_key(key.seed_);
  if (key.public_key_.empty()) return internal_error("OpenSSL could not make an Ed25519 key");
  return key;
}

Result<SigningKey> SigningKey::parse(std::string_view file_text, const std::string& name) {
  std::optional<internal::Bytes> seed;
  int secret_lines = 0;
  for_each_line(file_text, [&](std::string_view line) {
    if (line.substr(0, kSecretPrefix.size()) != kSecretPrefix) return;
    ++secret_lines;
    seed = internal::base64_decode_padded(line.substr(kSecretPrefix.size()));
  });
  if (secret_lines == 0) {
    return usage_error(name + ": not an airlock signing key (no " + std::string(kSecretPrefix) +
                       " line; make one with `airlock keygen --signing`)");
  }
  if (secret_lines > 1) return usage_error(name + ": more than one signing key in the file");
  if (!seed || seed->size() != kEd25519KeySize) return usage_error(name + ": the signing key is malformed");
  SigningKey key;
  key.seed_ = SecretBytes(std::string_view(reinterpret_cast<const char*>(seed->data()), seed->size()));
  std::fill(seed->begin(), seed->end(), 0);
  key.public_key_ = raw_public_key(key.seed_);
  if (key.public_key_.empty()) return usage_error(name + ": OpenSSL refused the signing key");
  return key;
}

SecretBytes SigningKey::encode() const {
  std::string text = "# public key: " + public_key() + "\n" + std::string(kSecretPrefix) +
                     internal::base64_encode_padded(seed_.data(), seed_.size()) + "\n";
  SecretBytes out(text);
  std::fill(text.begin(), text.end(), '\0');
  return out;
}

std::string SigningKey::public_key() const { return format_public_key(public_key_); }

Result<std::string> SigningKey::sign(std::string_view message) const {
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed_.data(), seed_.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  uint8_t signature[kEd25519SignatureSize];
  size_t size = sizeof signature;
  if (!key || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), signature, &size, reinterpret_cast<const uint8_t*>(message.data()), message.size()) != 1 ||
      size != sizeof signature) {
    return internal_error("OpenSSL could not sign with Ed25519");
  }
  return internal::base64_encode_padded(signature, size);
}

std::string format_public_key(std::string_view public_key) {
  return std::string(kPublicPrefix) +
         internal::base64_encode_padded(reinterpret_cast<const uint8_t*>(public_key.data()), public_key.size());
}

Result<std::string> parse_public_key(std::string_view text, const std::string& name) {
  // A bare key, a file of one key line, or a secret key file's comment.
  std::string_view found;
  int keys = 0;
  for_each_line(text, [&](std::string_view line) {
    if (line.substr(0, 14) == "# public key: ") line.remove_prefix(14);
    if (line.substr(0, kPublicPrefix.size()) != kPublicPrefix) return;
    if (keys++ == 0 || line != found) found = line;
  });
  if (keys == 0) return usage_error(name + ": no Ed25519 public key (ed25519:...) in it");
  std::optional<internal::Bytes> raw = internal::base64_decode_padded(found.substr(kPublicPrefix.size()));
  if (!raw || raw->size() != kEd25519KeySize) return usage_error(name + ": the Ed25519 public key is malformed");
  return std::string(reinterpret_cast<const char*>(raw->data()), raw->size());
}

bool verify_signature(std::string_view public_key, std::string_view message, std::string_view signature_base64) {
  std::optional<internal::Bytes> signature = internal::base64_decode_padded(signature_base64);
  if (!signature || signature->size() != kEd25519SignatureSize || public_key.size() != kEd25519KeySize) return false;
  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                          reinterpret_cast<const uint8_t*>(public_key.data()), public_key.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  return key && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), signature->data(), signature->size(),
                          reinterpret_cast<const uint8_t*>(message.data()), message.size()) == 1;
}

}  // namespace airlock::crypto
