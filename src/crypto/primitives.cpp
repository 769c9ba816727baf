// OpenSSL 3 calls behind primitives.h.
#include "crypto/primitives.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <cstring>
#include <memory>
#include <string>

namespace airlock::crypto::internal {
namespace {

PkeyPtr x25519_private(const uint8_t private_key[kKeySize]) {
  return PkeyPtr(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key, kKeySize));
}

}  // namespace

Status random_bytes(uint8_t* out, size_t size) {
  if (RAND_bytes(out, static_cast<int>(size)) != 1) return internal_error("the system random generator failed");
  return ok_status();
}

Status hkdf_sha256(const uint8_t* ikm, size_t ikm_size, const uint8_t* salt, size_t salt_size, std::string_view info,
                   uint8_t* out, size_t out_size) {
  if (out_size == 0 || out_size > 255 * kSha256Size) return internal_error("HKDF output size out of range");
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* ctx = kdf ? EVP_KDF_CTX_new(kdf) : nullptr;
  EVP_KDF_free(kdf);
  if (!ctx) return internal_error("HKDF is not available in this OpenSSL");
  // RFC 5869 allows an empty IKM; hand OpenSSL a valid pointer with length
  // zero rather than a null one, which it would read as "no key set".
  uint8_t empty = 0;
  char digest[] = "SHA256";
  OSSL_PARAM params[5];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] =
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm_size ? const_cast<uint8_t*>(ikm) : &empty, ikm_size);
  if (salt_size > 0) {
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<uint8_t*>(salt), salt_size);
  }
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size());
  params[n] = OSSL_PARAM_construct_end();
  int ok = EVP_KDF_derive(ctx, out, out_size, params);
  EVP_KDF_CTX_free(ctx);
  if (ok != 1) return internal_error("HKDF-SHA256 failed");
  return ok_status();
}

Status hmac_sha256(const uint8_t* key, size_t key_size, std::string_view data, uint8_t out[kSha256Size]) {
  unsigned int out_size = 0;
  if (!HMAC(EVP_sha256(), key, static_cast<int>(key_size), reinterpret_cast<const uint8_t*>(data.data()), data.size(),
            out, &out_size) ||
      out_size != kSha256Size) {
    return internal_error("HMAC-SHA256 failed");
  }
  return ok_status();
}

ChaChaPoly::ChaChaPoly(const uint8_t key[kKeySize]) : ctx_(EVP_CIPHER_CTX_new()) { std::memcpy(key_, key, kKeySize); }

ChaChaPoly::~ChaChaPoly() {
  EVP_CIPHER_CTX_free(ctx_);
  OPENSSL_cleanse(key_, sizeof key_);
}

bool ChaChaPoly::seal(const uint8_t nonce[kAeadNonceSize], const uint8_t* in, size_t size, uint8_t* out) {
  int written = 0;
  int final_written = 0;
  return ctx_ && size <= INT32_MAX && EVP_EncryptInit_ex(ctx_, EVP_chacha20_poly1305(), nullptr, key_, nonce) == 1 &&
         EVP_EncryptUpdate(ctx_, out, &written, in, static_cast<int>(size)) == 1 &&
         EVP_EncryptFinal_ex(ctx_, out + written, &final_written) == 1 &&
         static_cast<size_t>(written + final_written) == size &&
         EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_GET_TAG, kAeadTagSize, out + size) == 1;
}

bool ChaChaPoly::open(const uint8_t nonce[kAeadNonceSize], const uint8_t* in, size_t size, uint8_t* out) {
  if (!ctx_ || size < kAeadTagSize || size > INT32_MAX) return false;
  size_t body = size - kAeadTagSize;
  uint8_t tag[kAeadTagSize];
  std::memcpy(tag, in + body, kAeadTagSize);
  int written = 0;
  int final_written = 0;
  bool ok = EVP_DecryptInit_ex(ctx_, EVP_chacha20_poly1305(), nullptr, key_, nonce) == 1 &&
            EVP_DecryptUpdate(ctx_, out, &written, in, static_cast<int>(body)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_TAG, kAeadTagSize, tag) == 1 &&
            EVP_DecryptFinal_ex(ctx_, out + written, &final_written) == 1;  // verifies the tag in constant time
  // Unauthenticated plaintext must not survive a failed check.
  if (!ok) OPENSSL_cleanse(out, body);
  return ok;
}

bool x25519_public_key(const uint8_t private_key[kKeySize], uint8_t public_key[kKeySize]) {
  PkeyPtr key = x25519_private(private_key);
  size_t size = kKeySize;
  return key && EVP_PKEY_get_raw_public_key(key.get(), public_key, &size) == 1 && size == kKeySize;
}

bool x25519_shared_secret(const uint8_t private_key[kKeySize], const uint8_t peer_public[kKeySize],
                          uint8_t shared[kKeySize]) {
  PkeyPtr key = x25519_private(private_key);
  PkeyPtr peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_public, kKeySize));
  if (!key || !peer) return false;
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  size_t size = kKeySize;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), shared, &size) != 1 || size != kKeySize) {
    return false;
  }
  // OpenSSL already refuses an all-zero result; check anyway, in constant
  // time, because age's security argument depends on it.
  static const uint8_t kZero[kKeySize] = {};
  return CRYPTO_memcmp(shared, kZero, kKeySize) != 0;
}

Status scrypt(std::string_view passphrase, const uint8_t* salt, size_t salt_size, int log2_n, uint8_t out[kKeySize]) {
  constexpr uint64_t kR = 8;
  constexpr uint64_t kP = 1;
  if (log2_n < 1 || log2_n > 40) return internal_error("scrypt work factor out of range");
  const uint64_t n = uint64_t{1} << log2_n;
  // OpenSSL's default limit (32 MiB) is below what N = 2^18 needs
  // (128 * r * N = 256 MiB), so pass the real requirement plus slack.
  const uint64_t max_memory = 128 * kR * (n + kP + 2) + (uint64_t{1} << 20);
  if (EVP_PBE_scrypt(passphrase.data(), passphrase.size(), salt, salt_size, n, kR, kP, max_memory, out, kKeySize) !=
      1) {
    return internal_error("scrypt failed (work factor " + std::to_string(log2_n) + ", out of memory?)");
  }
  return ok_status();
}

}  // namespace airlock::crypto::internal
