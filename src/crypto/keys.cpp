// Key types, their text forms, and recipients / identity files.
#include "crypto/keys.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>

#include "crypto/age.h"
#include "crypto/encoding.h"
#include "crypto/header.h"
#include "crypto/primitives.h"

namespace airlock::crypto {
namespace {

constexpr std::string_view kRecipientHrp = "age";
constexpr std::string_view kIdentityHrp = "age-secret-key-";

std::string to_upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string_view trim(std::string_view text) {
  const char* kSpace = " \t\r\n\v\f";
  size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  size_t last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

// Why a recipient string is not one airlock can use, in the user's terms.
std::string unsupported_recipient_reason(std::string_view text) {
  if (text.starts_with("ssh-ed25519 ") || text.starts_with("ssh-rsa ")) {
    return "SSH recipients are not supported (use an age1… X25519 recipient)";
  }
  if (text.starts_with("age1pq1")) return "post-quantum hybrid recipients (age1pq1…) are not supported";
  if (text.starts_with("age1") && text.find('1', 4) != std::string_view::npos) {
    return "plugin recipients (age1<plugin>1…) are not supported";
  }
  return "";
}

// Cuts a text into lines, numbering them for messages.
template <typename Fn>
Status for_each_line(std::string_view text, Fn&& fn) {
  size_t number = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++number;
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (Status s = fn(line, number); !s.ok()) return s;
  }
  return ok_status();
}

}  // namespace

// --- SecretBytes ------------------------------------------------------------

void SecretBytes::wipe() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

bool SecretBytes::equals(const SecretBytes& other) const {
  return size() == other.size() && CRYPTO_memcmp(data(), other.data(), size()) == 0;
}

// --- X25519 keys --------------------------------------------------------------

Result<X25519Recipient> X25519Recipient::parse(std::string_view text) {
  std::optional<internal::Bech32> decoded = internal::bech32_decode(text);
  // Either case is accepted, as BIP 173 and age do; mixed case is not.
  if (!decoded || decoded->hrp != kRecipientHrp || decoded->data.size() != kX25519KeySize) {
    if (decoded) OPENSSL_cleanse(decoded->data.data(), decoded->data.size());
    // A secret key pasted where a recipient belongs must not reach a log.
    if (to_upper(std::string(text.substr(0, 14))) == "AGE-SECRET-KEY") {
      return usage_error(
          "a secret key (AGE-SECRET-KEY-…) was given where a recipient belongs; use its public key "
          "(age1…, printed by airlock keygen)");
    }
    std::string reason = unsupported_recipient_reason(text);
    if (!reason.empty()) return usage_error("recipient '" + std::string(text) + "': " + reason);
    return usage_error("'" + std::string(text) + "' is not an age recipient (expected age1…)");
  }
  X25519Recipient recipient;
  std::copy(decoded->data.begin(), decoded->data.end(), recipient.key_.begin());
  return recipient;
}

X25519Recipient X25519Recipient::from_bytes(const std::array<uint8_t, kX25519KeySize>& key) {
  X25519Recipient recipient;
  recipient.key_ = key;
  return recipient;
}

std::string X25519Recipient::encode() const {
  return internal::bech32_encode(kRecipientHrp, internal::Bytes(key_.begin(), key_.end()));
}

namespace {

Result<X25519Recipient> public_key_of(const SecretBytes& secret) {
  std::array<uint8_t, kX25519KeySize> key{};
  if (!internal::x25519_public_key(secret.data(), key.data())) return internal_error("X25519 key derivation failed");
  return X25519Recipient::from_bytes(key);
}

}  // namespace

Result<X25519Identity> X25519Identity::generate() {
  X25519Identity identity;
  identity.secret_ = SecretBytes(kX25519KeySize);
  if (Status s = internal::random_bytes(identity.secret_.data(), kX25519KeySize); !s.ok()) return s.error();
  Result<X25519Recipient> recipient = public_key_of(identity.secret_);
  if (!recipient.ok()) return recipient.error();
  identity.recipient_ = recipient.value();
  return identity;
}

Result<X25519Identity> X25519Identity::parse(std::string_view text) {
  std::optional<internal::Bech32> decoded = internal::bech32_decode(text);
  bool valid = decoded && decoded->hrp == kIdentityHrp && decoded->data.size() == kX25519KeySize;
  X25519Identity identity;
  if (valid) {
    identity.secret_ = SecretBytes(kX25519KeySize);
    std::copy(decoded->data.begin(), decoded->data.end(), identity.secret_.data());
  }
  if (decoded) OPENSSL_cleanse(decoded->data.data(), decoded->data.size());
  // Never echo the text: it may be a slightly mistyped secret key.
  if (text.starts_with("AGE-SECRET-KEY-PQ-1")) {
    return usage_error("post-quantum hybrid identities (AGE-SECRET-KEY-PQ-1…) are not supported");
  }
  if (text.starts_with("AGE-PLUGIN-")) return usage_error("plugin identities (AGE-PLUGIN-…) are not supported");
  if (!valid) return usage_error("not an age identity (expected AGE-SECRET-KEY-1…)");
  Result<X25519Recipient> recipient = public_key_of(identity.secret_);
  if (!recipient.ok()) return recipient.error();
  identity.recipient_ = recipient.value();
  return identity;
}

SecretBytes X25519Identity::encode() const {
  internal::Bytes key(secret_.data(), secret_.data() + secret_.size());
  std::string text = to_upper(internal::bech32_encode(kIdentityHrp, key));
  SecretBytes out(text);
  OPENSSL_cleanse(key.data(), key.size());
  OPENSSL_cleanse(text.data(), text.size());
  return out;
}

// --- Recipients and identities ------------------------------------------------

Result<Recipient> Recipient::parse(std::string_view text) {
  Result<X25519Recipient> key = X25519Recipient::parse(text);
  if (!key.ok()) return key.error();
  return x25519(key.value());
}

Recipient Recipient::x25519(const X25519Recipient& key) {
  Recipient recipient;
  recipient.x25519_ = key;
  return recipient;
}

Result<Recipient> Recipient::passphrase(SecretBytes passphrase, int work_factor) {
  if (passphrase.empty()) return usage_error("the passphrase is empty");
  if (work_factor < kMinScryptWorkFactor || work_factor > kMaxScryptWorkFactor) {
    return usage_error("scrypt work factor " + std::to_string(work_factor) + " is outside " +
                       std::to_string(kMinScryptWorkFactor) + ".." + std::to_string(kMaxScryptWorkFactor));
  }
  Recipient recipient;
  recipient.passphrase_ = std::make_shared<const SecretBytes>(std::move(passphrase));
  recipient.work_factor_ = work_factor;
  return recipient;
}

Identity Identity::x25519(X25519Identity key) {
  Identity identity;
  identity.x25519_ = std::make_shared<const X25519Identity>(std::move(key));
  return identity;
}

Identity Identity::passphrase(SecretBytes passphrase, int max_work_factor) {
  Identity identity;
  identity.passphrase_ = std::make_shared<const SecretBytes>(std::move(passphrase));
  identity.max_work_factor_ = max_work_factor;
  return identity;
}

Result<std::vector<Recipient>> parse_recipients_file(std::string_view text, const std::string& name) {
  std::vector<Recipient> recipients;
  Status status = for_each_line(text, [&](std::string_view line, size_t number) -> Status {
    Result<Recipient> recipient = Recipient::parse(line);
    if (!recipient.ok()) {
      return usage_error(name + " line " + std::to_string(number) + ": " + recipient.error().message);
    }
    recipients.push_back(recipient.value());
    return ok_status();
  });
  if (!status.ok()) return status.error();
  if (recipients.empty()) return usage_error(name + ": no recipients in the file");
  return recipients;
}

Result<std::vector<Identity>> parse_identity_file(std::string_view text, const std::string& name) {
  if (text.starts_with(internal::kMagicPrefix) || text.starts_with("-----BEGIN AGE ENCRYPTED FILE")) {
    return usage_error(name + ": passphrase-encrypted identity files are not supported");
  }
  if (text.starts_with("-----BEGIN OPENSSH PRIVATE KEY")) return usage_error(name + ": SSH keys are not supported");
  std::vector<Identity> identities;
  Status status = for_each_line(text, [&](std::string_view line, size_t number) -> Status {
    Result<X25519Identity> key = X25519Identity::parse(line);
    if (!key.ok()) return usage_error(name + " line " + std::to_string(number) + ": " + key.error().message);
    identities.push_back(Identity::x25519(std::move(key.value())));
    return ok_status();
  });
  if (!status.ok()) return status.error();
  if (identities.empty()) return usage_error(name + ": no identities in the file");
  return identities;
}

}  // namespace airlock::crypto
