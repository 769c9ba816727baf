// age v1 (age-encryption.org/v1) encryption and decryption, streaming, on
// OpenSSL primitives; files interoperate with age, rage and other
// implementations. docs/encryption.md describes the format and key handling.
//
// The format in brief:
//   age-encryption.org/v1
//   -> X25519 <ephemeral share>          one stanza per recipient, each
//   <body: the 16-byte file key, wrapped>  wrapping the same random file key
//   --- <HMAC-SHA256 of the header under HKDF(file key, "header")>
//   <16-byte nonce><payload: ChaCha20-Poly1305 STREAM, 64 KiB chunks>
// optionally inside ASCII armor (PEM type "AGE ENCRYPTED FILE").
//
// What it protects against: anyone without an identity (or the passphrase)
// learns nothing of the plaintext but its exact length (ciphertext = header
// + 16-byte nonce + plaintext + 16 bytes per 64 KiB chunk); any change to
// the header or payload (flipped bits, truncation at any point, reordered,
// dropped, duplicated or appended chunks) is detected, and DecryptingSource
// never releases a byte of a chunk that did not authenticate.
//
// What it does not: it does not hide the plaintext length, the number and
// kinds of recipients, or that the file is age (X25519 stanzas do not name
// their recipient: they carry only a fresh ephemeral share). It does not
// authenticate the sender: anyone who knows a recipient can make a file for
// it. Encryption is randomised, so the same plaintext never gives the same
// file twice. Reading as a stream releases authenticated chunks before the
// end proves the file complete: callers that need all-or-nothing write
// through io::AtomicFile and commit only after read() returned 0. A
// passphrase is only as strong as scrypt and the passphrase make it.
//
// Not supported: plugins, ssh-ed25519 / ssh-rsa recipients, and the
// post-quantum mlkem768x25519 recipient (OpenSSL 3.0 has no ML-KEM): such
// stanzas are recognised and reported as an unsupported recipient type.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "crypto/keys.h"
#include "io/io.h"

namespace airlock::crypto {

// scrypt work factor log2(N): 18 for new files, as age; files asking more
// than 22 (4 GiB of memory) are refused, as age refuses them by default.
constexpr int kDefaultScryptWorkFactor = 18;
constexpr int kMaxScryptWorkFactor = 22;
constexpr int kMinScryptWorkFactor = 10;  // lowest accepted for new files (tests)

// Whom a file is encrypted to. Cheap to copy (a passphrase is shared, not copied).
class Recipient {
 public:
  // "age1…" X25519 recipients. Other age recipient kinds (ssh-ed25519,
  // ssh-rsa, plugin "age1name1…", "age1pq1…") are usage errors that say the
  // type is unsupported.
  static Result<Recipient> parse(std::string_view text);
  static Recipient x25519(const X25519Recipient& key);
  // A passphrase (scrypt) recipient; it must be a file's only recipient.
  static Result<Recipient> passphrase(SecretBytes passphrase, int work_factor = kDefaultScryptWorkFactor);

  const X25519Recipient* x25519_key() const { return x25519_ ? &*x25519_ : nullptr; }
  const SecretBytes* passphrase_secret() const { return passphrase_.get(); }
  int work_factor() const { return work_factor_; }

 private:
  std::optional<X25519Recipient> x25519_;
  std::shared_ptr<const SecretBytes> passphrase_;
  int work_factor_ = 0;
};

// What opens a file. Cheap to copy (secrets are shared, not copied).
class Identity {
 public:
  static Identity x25519(X25519Identity key);
  // Files whose scrypt work factor exceeds `max_work_factor` are refused
  // (header failure) before any scrypt work is done.
  static Identity passphrase(SecretBytes passphrase, int max_work_factor = kMaxScryptWorkFactor);

  const X25519Identity* x25519_key() const { return x25519_.get(); }
  const SecretBytes* passphrase_secret() const { return passphrase_.get(); }
  int max_work_factor() const { return max_work_factor_; }

 private:
  std::shared_ptr<const X25519Identity> x25519_;
  std::shared_ptr<const SecretBytes> passphrase_;
  int max_work_factor_ = 0;
};

// A recipients file: one recipient a line; empty lines and lines starting
// with '#' are ignored. Errors name `name` and the line.
Result<std::vector<Recipient>> parse_recipients_file(std::string_view text, const std::string& name);
// An identity file as age-keygen writes it: "AGE-SECRET-KEY-1…" lines, '#'
// comments, empty lines. Errors name `name` and the line, never its content.
Result<std::vector<Identity>> parse_identity_file(std::string_view text, const std::string& name);

struct SealOptions {
  bool armor = false;  // PEM-style ASCII armor, 64 columns
};

// Encrypts everything written to it and writes the age file to `ciphertext`.
// The header goes out in create(); write() emits each 64 KiB chunk once the
// next byte proves it is not the last; finish() writes the final chunk (and
// armor footer), then calls ciphertext.finish(). `ciphertext` must outlive
// the sink; committing it (io::AtomicFile::commit) stays with the caller:
//
//   auto file = io::AtomicFile::create(dir, "clean.jsonl.age", {});
//   auto sink = crypto::EncryptingSink::create(recipients, **file);
//   (*sink)->write(bytes) ...; (*sink)->finish(); (*file)->commit();
//
// Errors: a usage error for an empty recipient list or a passphrase mixed
// with other recipients; I/O errors from `ciphertext` pass through. After an
// error or finish(), further writes fail.
class EncryptingSink final : public io::ByteSink {
 public:
  static Result<std::unique_ptr<EncryptingSink>> create(const std::vector<Recipient>& recipients,
                                                        io::ByteSink& ciphertext, SealOptions options = {});
  ~EncryptingSink() override;

  Status write(std::string_view bytes) override;
  Status finish() override;

 private:
  struct State;
  explicit EncryptingSink(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Why a decryption failed, for callers and tests that must tell them apart.
enum class DecryptFailure {
  kNone,
  kNoMatch,         // no identity opens any stanza (message says when the type is unsupported)
  kHeaderFailure,   // malformed header, unsupported version, bad stanza, refused work factor
  kHmacFailure,     // the header MAC does not verify: the header was changed
  kPayloadFailure,  // a chunk did not authenticate, truncation, trailing data
  kArmorFailure,    // malformed ASCII armor
  kIo,              // reading the input failed
};

// Decrypts an age file (binary or armored, recognised by its first bytes)
// as a stream. open() reads and verifies the header, so a wrong key fails
// before any plaintext exists; read() returns plaintext chunk by chunk, each
// authenticated before it is released, and 0 only once the final chunk
// authenticated and nothing follows it. Memory use is constant.
class DecryptingSource final : public io::ByteSource {
 public:
  // `display_name` names the file in messages. On failure `failure`, when
  // given, says which kind. With no identities the header is still fully
  // checked, and a well-formed file ends in kNoMatch.
  static Result<std::unique_ptr<DecryptingSource>> open(std::unique_ptr<io::ByteSource> ciphertext,
                                                        const std::vector<Identity>& identities,
                                                        const std::string& display_name,
                                                        DecryptFailure* failure = nullptr);
  ~DecryptingSource() override;

  Result<size_t> read(char* buffer, size_t capacity) override;
  uint64_t raw_bytes_read() const override;  // ciphertext bytes consumed
  // The kind of the last read() error, kNone while all is well.
  DecryptFailure failure() const;

 private:
  struct State;
  explicit DecryptingSource(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

std::string_view decrypt_failure_name(DecryptFailure failure);

}  // namespace airlock::crypto
