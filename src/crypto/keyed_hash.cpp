#include "crypto/keyed_hash.h"

#include <algorithm>
#include <cctype>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/primitives.h"
#include "io/io.h"

namespace airlock::crypto {
namespace {
// For the key file only: written straight into the SecretBytes, since a
// std::string copy of the key would outlive the wipe (io::hex elsewhere).
constexpr char kHex[] = "0123456789abcdef";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Result<SecretBytes> new_keyed_hash_key() {
  SecretBytes key(kKeyedHashKeySize);
  if (Status s = internal::random_bytes(key.data(), key.size()); !s.ok()) return s.error();
  return key;
}

Result<SecretBytes> parse_keyed_hash_key(std::string_view text, const std::string& name) {
  SecretBytes key(kKeyedHashKeySize);
  size_t digits = 0;
  size_t line_start = 0;
  while (line_start < text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    std::string_view line = text.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    if (line.empty() || line[0] == '#') continue;
    for (char c : line) {
      if (c == '\r' || c == ' ' || c == '\t') continue;
      int value = hex_digit(c);
      if (value < 0 || digits >= 2 * kKeyedHashKeySize) return usage_error(name + ": not a pseudonym key (64 hex digits)");
      key.data()[digits / 2] = static_cast<uint8_t>(key.data()[digits / 2] << 4 | value);
      ++digits;
    }
  }
  if (digits != 2 * kKeyedHashKeySize) return usage_error(name + ": not a pseudonym key (64 hex digits)");
  return key;
}

SecretBytes format_keyed_hash_key(const SecretBytes& key, std::string_view comment) {
  SecretBytes out(2 + comment.size() + 1 + 2 * key.size() + 1);
  uint8_t* at = out.data();
  *at++ = '#';
  *at++ = ' ';
  at = std::copy(comment.begin(), comment.end(), at);
  *at++ = '\n';
  for (size_t i = 0; i < key.size(); ++i) {
    *at++ = static_cast<uint8_t>(kHex[key.data()[i] >> 4]);
    *at++ = static_cast<uint8_t>(kHex[key.data()[i] & 15]);
  }
  *at = '\n';
  return out;
}

Result<std::string> keyed_hash_hex(const SecretBytes& key, std::string_view message) {
  uint8_t mac[internal::kSha256Size];
  if (Status s = internal::hmac_sha256(key.data(), key.size(), message, mac); !s.ok()) return s.error();
  return io::hex(mac, sizeof mac);
}

struct KeyedDigester::Contexts {
  EVP_MD_CTX* inner = nullptr;  // SHA-256 state after (key ^ ipad)
  EVP_MD_CTX* outer = nullptr;  // SHA-256 state after (key ^ opad)
  ~Contexts() {
    EVP_MD_CTX_free(inner);
    EVP_MD_CTX_free(outer);
  }
};

KeyedDigester::~KeyedDigester() = default;

Result<std::unique_ptr<KeyedDigester>> KeyedDigester::create(const SecretBytes& key) {
  constexpr size_t kBlock = 64;  // SHA-256's block size
  if (key.size() > kBlock) return internal_error("keyed digester: key longer than a block");
  uint8_t inner_pad[kBlock], outer_pad[kBlock];
  for (size_t i = 0; i < kBlock; ++i) {
    uint8_t k = i < key.size() ? key.data()[i] : 0;
    inner_pad[i] = static_cast<uint8_t>(k ^ 0x36);
    outer_pad[i] = static_cast<uint8_t>(k ^ 0x5c);
  }
  std::unique_ptr<KeyedDigester> digester(new KeyedDigester());
  digester->contexts_ = std::make_unique<Contexts>();
  Contexts& c = *digester->contexts_;
  c.inner = EVP_MD_CTX_new();
  c.outer = EVP_MD_CTX_new();
  bool ok = c.inner && c.outer && EVP_DigestInit_ex(c.inner, EVP_sha256(), nullptr) == 1 &&
            EVP_DigestUpdate(c.inner, inner_pad, kBlock) == 1 && EVP_DigestInit_ex(c.outer, EVP_sha256(), nullptr) == 1 &&
            EVP_DigestUpdate(c.outer, outer_pad, kBlock) == 1;
  OPENSSL_cleanse(inner_pad, kBlock);
  OPENSSL_cleanse(outer_pad, kBlock);
  if (!ok) return internal_error("OpenSSL could not prepare HMAC-SHA256");
  return digester;
}

Status KeyedDigester::digest_hex(std::string_view message, std::string& out) const {
  // One working context per thread, reused: copying into it is cheap.
  struct Working {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Working() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Working working;
  uint8_t inner[internal::kSha256Size], mac[internal::kSha256Size];
  unsigned size = 0;
  EVP_MD_CTX* ctx = working.ctx;
  if (!ctx || EVP_MD_CTX_copy_ex(ctx, contexts_->inner) != 1 || EVP_DigestUpdate(ctx, message.data(), message.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, inner, &size) != 1 || EVP_MD_CTX_copy_ex(ctx, contexts_->outer) != 1 ||
      EVP_DigestUpdate(ctx, inner, sizeof inner) != 1 || EVP_DigestFinal_ex(ctx, mac, &size) != 1) {
    return internal_error("OpenSSL could not compute HMAC-SHA256");
  }
  io::append_hex(mac, sizeof mac, out);
  return ok_status();
}

}  // namespace airlock::crypto
