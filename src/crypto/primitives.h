// Thin wrappers over the OpenSSL 3 primitives age is built from (internal to
// the crypto component). Each returns false / an error rather than throwing,
// and none keeps a copy of its inputs.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "base/status.h"

namespace airlock::crypto::internal {

// Owners of OpenSSL objects, freed however a function returns.
struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

constexpr size_t kKeySize = 32;        // X25519 keys, ChaCha20 keys, HKDF outputs
constexpr size_t kAeadNonceSize = 12;  // ChaCha20-Poly1305 (RFC 8439)
constexpr size_t kAeadTagSize = 16;    // Poly1305
constexpr size_t kSha256Size = 32;

// Fills `out` from the OpenSSL CSPRNG.
Status random_bytes(uint8_t* out, size_t size);

// HKDF-SHA256 (RFC 5869), extract and expand. An empty salt means
// "HashLen zero bytes", as the RFC says. Fails for out_size > 255*32.
Status hkdf_sha256(const uint8_t* ikm, size_t ikm_size, const uint8_t* salt, size_t salt_size, std::string_view info,
                   uint8_t* out, size_t out_size);

Status hmac_sha256(const uint8_t* key, size_t key_size, std::string_view data, uint8_t out[kSha256Size]);

// ChaCha20-Poly1305 with one key and a caller-chosen nonce per message,
// no associated data. The context is reused across messages (one per STREAM).
class ChaChaPoly {
 public:
  explicit ChaChaPoly(const uint8_t key[kKeySize]);
  ~ChaChaPoly();
  ChaChaPoly(const ChaChaPoly&) = delete;
  ChaChaPoly& operator=(const ChaChaPoly&) = delete;

  // out receives size + kAeadTagSize bytes.
  bool seal(const uint8_t nonce[kAeadNonceSize], const uint8_t* in, size_t size, uint8_t* out);
  // `size` includes the tag; out receives size - kAeadTagSize bytes. False
  // when the tag does not verify (nothing in `out` may then be used).
  bool open(const uint8_t nonce[kAeadNonceSize], const uint8_t* in, size_t size, uint8_t* out);

 private:
  EVP_CIPHER_CTX* ctx_ = nullptr;
  uint8_t key_[kKeySize];
};

// X25519 (RFC 7748). The private scalar is clamped by OpenSSL.
bool x25519_public_key(const uint8_t private_key[kKeySize], uint8_t public_key[kKeySize]);
// False on failure, including an all-zero shared secret (a low-order peer
// point), which RFC 7748 §6.1 lets implementations reject and age requires.
bool x25519_shared_secret(const uint8_t private_key[kKeySize], const uint8_t peer_public[kKeySize],
                          uint8_t shared[kKeySize]);

// scrypt with r = 8, p = 1 and N = 2^log2_n, as age uses it.
Status scrypt(std::string_view passphrase, const uint8_t* salt, size_t salt_size, int log2_n, uint8_t out[kKeySize]);

}  // namespace airlock::crypto::internal
