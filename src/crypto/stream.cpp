// The payload: ChaCha20-Poly1305 STREAM, and the two streaming ends,
// EncryptingSink and DecryptingSource.
//
// Payload wire format (age-encryption.org/v1):
//   nonce     16 random bytes, right after the header's MAC line
//   key       HKDF-SHA256(ikm = file key, salt = nonce, info = "payload")
//   chunks    ChaCha20-Poly1305(key, 12-byte chunk nonce, 64 KiB of plaintext),
//             each 64 KiB + 16 bytes, the last one 1..64 KiB + 16 bytes
//             (0 + 16 only when the whole plaintext is empty)
//   chunk nonce = 11-byte big-endian chunk counter || last-chunk flag (0x01
//             on the final chunk, 0x00 otherwise)
// The counter binds each chunk to its position (no reordering, dropping or
// duplicating), the flag binds the end (no truncation at a chunk boundary,
// nothing after the final chunk).
#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>

#include "crypto/age.h"
#include "crypto/armor.h"
#include "crypto/header.h"
#include "crypto/primitives.h"
#include "crypto/reader.h"

namespace airlock::crypto {
namespace {

using internal::Bytes;
using internal::kAeadTagSize;
using internal::kKeySize;

constexpr size_t kChunkSize = 64 * 1024;
constexpr size_t kSealedBatch = 16;  // sealed chunks per write, and per read of ciphertext
constexpr size_t kSealedChunkSize = kChunkSize + kAeadTagSize;
constexpr size_t kPayloadNonceSize = 16;
constexpr std::string_view kPayloadLabel = "payload";

// The 12-byte STREAM nonce for chunk `counter`. A uint64_t counter fills
// the low 8 of the 11 counter bytes; 2^64 chunks of 64 KiB is out of reach.
void chunk_nonce(uint64_t counter, bool last, uint8_t nonce[internal::kAeadNonceSize]) {
  std::memset(nonce, 0, internal::kAeadNonceSize);
  for (int i = 0; i < 8; ++i) nonce[10 - i] = static_cast<uint8_t>(counter >> (8 * i));
  nonce[11] = last ? 1 : 0;
}

Status derive_payload_key(const SecretBytes& file_key, const uint8_t nonce[kPayloadNonceSize], uint8_t key[kKeySize]) {
  return internal::hkdf_sha256(file_key.data(), file_key.size(), nonce, kPayloadNonceSize, kPayloadLabel, key,
                               kKeySize);
}

}  // namespace

// --- EncryptingSink ---------------------------------------------------------------

struct EncryptingSink::State {
  io::ByteSink* out = nullptr;  // the armor writer or the caller's sink
  std::unique_ptr<internal::ArmorWriter> armor;
  std::unique_ptr<internal::ChaChaPoly> cipher;
  uint64_t counter = 0;
  Bytes plaintext = Bytes(kChunkSize);  // the chunk being filled, not yet sealed
  size_t plaintext_size = 0;
  // Sealed chunks wait here and go out sixteen at a time: one write per
  // chunk made the write calls cost more than the encryption.
  Bytes sealed = Bytes(kSealedBatch * kSealedChunkSize);
  size_t sealed_size = 0;
  bool closed = false;

  ~State() { OPENSSL_cleanse(plaintext.data(), plaintext.size()); }

  Status seal_chunk(bool last) {
    if (sealed_size + kSealedChunkSize > sealed.size()) {
      if (Status s = flush(); !s.ok()) return s;
    }
    uint8_t nonce[internal::kAeadNonceSize];
    chunk_nonce(counter++, last, nonce);
    if (!cipher->seal(nonce, plaintext.data(), plaintext_size, sealed.data() + sealed_size)) {
      return internal_error("ChaCha20-Poly1305 failed");
    }
    sealed_size += plaintext_size + kAeadTagSize;
    OPENSSL_cleanse(plaintext.data(), plaintext_size);
    plaintext_size = 0;
    return last ? flush() : ok_status();
  }

  Status flush() {
    Status s = out->write(std::string_view(reinterpret_cast<const char*>(sealed.data()), sealed_size));
    sealed_size = 0;
    return s;
  }
};

EncryptingSink::EncryptingSink(std::unique_ptr<State> state) : state_(std::move(state)) {}
EncryptingSink::~EncryptingSink() = default;

namespace {

Status check_recipients(const std::vector<Recipient>& recipients) {
  if (recipients.empty()) return usage_error("no recipients to encrypt to");
  bool has_passphrase = std::any_of(recipients.begin(), recipients.end(),
                                    [](const Recipient& r) { return r.passphrase_secret() != nullptr; });
  if (has_passphrase && recipients.size() > 1) {
    return usage_error("a passphrase cannot be combined with other recipients (age allows it only alone)");
  }
  return ok_status();
}

// Makes a fresh file key and the full header (with MAC) for `recipients`.
Result<std::string> make_header(const std::vector<Recipient>& recipients, SecretBytes* file_key) {
  *file_key = SecretBytes(internal::kFileKeySize);
  if (Status s = internal::random_bytes(file_key->data(), file_key->size()); !s.ok()) return s.error();
  std::vector<internal::Stanza> stanzas;
  for (const Recipient& recipient : recipients) {
    Result<internal::Stanza> stanza = internal::wrap_file_key(recipient, *file_key);
    if (!stanza.ok()) return stanza.error();
    stanzas.push_back(std::move(stanza.value()));
  }
  std::string header = internal::header_without_mac(stanzas);
  Result<Bytes> mac = internal::header_mac(*file_key, header);
  if (!mac.ok()) return mac.error();
  header += " " + internal::base64_encode_unpadded(mac->data(), mac->size()) + "\n";
  return header;
}

}  // namespace

Result<std::unique_ptr<EncryptingSink>> EncryptingSink::create(const std::vector<Recipient>& recipients,
                                                               io::ByteSink& ciphertext, SealOptions options) {
  if (Status s = check_recipients(recipients); !s.ok()) return s.error();
  SecretBytes file_key;
  Result<std::string> header = make_header(recipients, &file_key);
  if (!header.ok()) return header.error();
  uint8_t nonce[kPayloadNonceSize];
  if (Status s = internal::random_bytes(nonce, sizeof nonce); !s.ok()) return s.error();
  uint8_t payload_key[kKeySize];
  if (Status s = derive_payload_key(file_key, nonce, payload_key); !s.ok()) return s.error();

  auto state = std::make_unique<State>();
  state->cipher = std::make_unique<internal::ChaChaPoly>(payload_key);
  OPENSSL_cleanse(payload_key, sizeof payload_key);
  state->out = &ciphertext;
  if (options.armor) {
    state->armor = std::make_unique<internal::ArmorWriter>(ciphertext);
    state->out = state->armor.get();
  }
  header->append(reinterpret_cast<const char*>(nonce), sizeof nonce);
  if (Status s = state->out->write(*header); !s.ok()) return s.error();
  return std::unique_ptr<EncryptingSink>(new EncryptingSink(std::move(state)));
}

Status EncryptingSink::write(std::string_view bytes) {
  State& s = *state_;
  if (s.closed) return internal_error("write after finish() or a failed write");
  while (!bytes.empty()) {
    // A full buffer is sealed only now that more bytes prove it is not last.
    if (s.plaintext_size == kChunkSize) {
      if (Status st = s.seal_chunk(false); !st.ok()) {
        s.closed = true;
        return st;
      }
    }
    size_t take = std::min(bytes.size(), kChunkSize - s.plaintext_size);
    std::memcpy(s.plaintext.data() + s.plaintext_size, bytes.data(), take);
    s.plaintext_size += take;
    bytes.remove_prefix(take);
  }
  return ok_status();
}

Status EncryptingSink::finish() {
  State& s = *state_;
  if (s.closed) return internal_error("finish() after finish() or a failed write");
  s.closed = true;
  if (Status st = s.seal_chunk(true); !st.ok()) return st;
  return s.out->finish();
}

// --- DecryptingSource ---------------------------------------------------------------

struct DecryptingSource::State {
  std::string name;
  std::unique_ptr<io::ByteSource> raw;
  std::unique_ptr<internal::BufferedReader> raw_reader;
  std::unique_ptr<internal::ArmorReader> armor;
  std::unique_ptr<internal::BufferedReader> armor_reader;
  internal::BufferedReader* payload = nullptr;  // raw_reader or armor_reader
  bool armored = false;

  std::unique_ptr<internal::ChaChaPoly> cipher;
  uint64_t counter = 0;
  Bytes sealed = Bytes(kSealedChunkSize);
  Bytes plaintext = Bytes(kChunkSize);
  size_t plaintext_at = 0;
  size_t plaintext_end = 0;
  bool final_seen = false;
  bool done = false;
  DecryptFailure failure = DecryptFailure::kNone;
  std::optional<Error> error;

  ~State() { OPENSSL_cleanse(plaintext.data(), plaintext.size()); }

  Error fail(DecryptFailure kind, const std::string& reason) {
    failure = kind;
    error = input_error(name + ": " + reason);
    return *error;
  }

  // A read error of the payload reader: an armor failure or an I/O error.
  Error fail_read(const Error& read_error) {
    failure = armored && read_error.kind != ErrorKind::kIo ? DecryptFailure::kArmorFailure : DecryptFailure::kIo;
    error = read_error;
    error->message = name + ": " + read_error.message;
    return *error;
  }

  Status next_chunk();
  Status check_end();
};

Status DecryptingSource::State::next_chunk() {
  Result<size_t> got = payload->read_full(sealed.data(), kSealedChunkSize);
  if (!got.ok()) return fail_read(got.error());
  size_t size = got.value();
  std::string where = "payload chunk " + std::to_string(counter);
  if (size == 0) {
    return fail(DecryptFailure::kPayloadFailure, counter == 0 ? "the payload is missing (truncated file)"
                                                              : "the final chunk is missing (truncated file)");
  }
  if (size < kAeadTagSize) return fail(DecryptFailure::kPayloadFailure, where + " is truncated");
  bool last = size < kSealedChunkSize;
  uint8_t nonce[internal::kAeadNonceSize];
  chunk_nonce(counter, last, nonce);
  bool opened = cipher->open(nonce, sealed.data(), size, plaintext.data());
  if (!opened && !last) {
    // A full chunk may be the final one: the flag, not the length, says so.
    last = true;
    chunk_nonce(counter, true, nonce);
    opened = cipher->open(nonce, sealed.data(), size, plaintext.data());
  }
  if (!opened) {
    return fail(DecryptFailure::kPayloadFailure, where +
                                                     " failed to authenticate (the file is corrupted, truncated or "
                                                     "was modified)");
  }
  size_t plain_size = size - kAeadTagSize;
  if (last && plain_size == 0 && counter > 0) {
    return fail(DecryptFailure::kPayloadFailure, "the final chunk is empty, which age forbids");
  }
  ++counter;
  final_seen = last;
  plaintext_at = 0;
  plaintext_end = plain_size;
  return ok_status();
}

Status DecryptingSource::State::check_end() {
  uint8_t extra = 0;
  Result<size_t> got = payload->read_full(&extra, 1);
  if (!got.ok()) return fail_read(got.error());
  if (got.value() != 0) return fail(DecryptFailure::kPayloadFailure, "trailing data after the final chunk");
  done = true;
  return ok_status();
}

DecryptingSource::DecryptingSource(std::unique_ptr<State> state) : state_(std::move(state)) {}
DecryptingSource::~DecryptingSource() = default;

namespace {

// Names the recognised stanza types airlock cannot open, for the message.
std::string unsupported_types(const std::vector<internal::Stanza>& stanzas) {
  for (const internal::Stanza& stanza : stanzas) {
    if (stanza.type == internal::kHybridType)
      return std::string(internal::kHybridType) + " (ML-KEM-768 + X25519 hybrid)";
    if (stanza.type == "ssh-ed25519" || stanza.type == "ssh-rsa") return stanza.type + " (SSH key)";
  }
  return "";
}

bool has_stanza(const std::vector<internal::Stanza>& stanzas, std::string_view type) {
  return std::any_of(stanzas.begin(), stanzas.end(), [&](const internal::Stanza& s) { return s.type == type; });
}

// Finds the file key; the DecryptFailure goes to `failure`.
Result<SecretBytes> find_file_key(const internal::ParsedHeader& header, const std::vector<Identity>& identities,
                                  const std::string& name, DecryptFailure* failure) {
  for (const Identity& identity : identities) {
    for (const internal::Stanza& stanza : header.stanzas) {
      SecretBytes file_key;
      Result<bool> opened = internal::unwrap_file_key(identity, stanza, &file_key);
      if (!opened.ok()) {
        *failure = opened.error().kind == ErrorKind::kInput ? DecryptFailure::kHeaderFailure : DecryptFailure::kIo;
        return Error{opened.error().kind, name + ": " + opened.error().message};
      }
      if (opened.value()) return file_key;
    }
  }
  for (const internal::Stanza& stanza : header.stanzas) {
    if (Status s = internal::check_unsupported_stanza(stanza); !s.ok()) {
      *failure = DecryptFailure::kHeaderFailure;
      return input_error(name + ": " + s.error().message);
    }
  }
  *failure = DecryptFailure::kNoMatch;
  std::string unsupported = unsupported_types(header.stanzas);
  if (!unsupported.empty()) {
    return input_error(name + ": no identity matched; the file uses an unsupported recipient type, " + unsupported +
                       ", which airlock cannot decrypt");
  }
  bool passphrase_file = has_stanza(header.stanzas, "scrypt");
  bool have_passphrase = std::any_of(identities.begin(), identities.end(),
                                     [](const Identity& i) { return i.passphrase_secret() != nullptr; });
  if (passphrase_file && !have_passphrase) {
    return input_error(name + ": the file is passphrase-encrypted; open it with a passphrase");
  }
  if (passphrase_file) return input_error(name + ": wrong passphrase");
  if (have_passphrase) return input_error(name + ": the file is not passphrase-encrypted; use an identity file");
  return input_error(name + ": no identity matched any of the file's recipients (wrong key?)");
}

}  // namespace

Result<std::unique_ptr<DecryptingSource>> DecryptingSource::open(std::unique_ptr<io::ByteSource> ciphertext,
                                                                 const std::vector<Identity>& identities,
                                                                 const std::string& display_name,
                                                                 DecryptFailure* failure) {
  DecryptFailure ignored = DecryptFailure::kNone;
  if (!failure) failure = &ignored;
  *failure = DecryptFailure::kNone;
  auto state = std::make_unique<State>();
  state->name = display_name;
  state->raw = std::move(ciphertext);
  state->raw_reader = std::make_unique<internal::BufferedReader>(*state->raw, kSealedBatch * kSealedChunkSize);
  Result<std::string_view> start = state->raw_reader->peek(internal::kMagicPrefix.size());
  if (!start.ok()) {
    *failure = DecryptFailure::kIo;
    return Error{start.error().kind, display_name + ": " + start.error().message};
  }
  state->payload = state->raw_reader.get();
  if (!internal::looks_binary(start.value())) {
    state->armored = true;
    state->armor = std::make_unique<internal::ArmorReader>(*state->raw_reader);
    state->armor_reader = std::make_unique<internal::BufferedReader>(*state->armor, kSealedChunkSize);
    state->payload = state->armor_reader.get();
  }

  Result<internal::ParsedHeader> header = internal::read_header(*state->payload, state->armored, display_name, failure);
  if (!header.ok()) return header.error();
  Result<SecretBytes> file_key = find_file_key(header.value(), identities, display_name, failure);
  if (!file_key.ok()) return file_key.error();
  Result<Bytes> mac = internal::header_mac(file_key.value(), header->mac_input);
  if (!mac.ok()) return mac.error();
  if (CRYPTO_memcmp(mac->data(), header->mac.data(), mac->size()) != 0) {
    *failure = DecryptFailure::kHmacFailure;
    return input_error(display_name + ": the header MAC does not verify (the header was modified)");
  }

  uint8_t nonce[kPayloadNonceSize];
  Result<size_t> got = state->payload->read_full(nonce, sizeof nonce);
  if (!got.ok()) {
    Error error = state->fail_read(got.error());
    *failure = state->failure;
    return error;
  }
  if (got.value() != sizeof nonce) {
    *failure = DecryptFailure::kHeaderFailure;
    return input_error(display_name + ": the payload nonce is truncated");
  }
  uint8_t payload_key[kKeySize];
  if (Status s = derive_payload_key(file_key.value(), nonce, payload_key); !s.ok()) return s.error();
  state->cipher = std::make_unique<internal::ChaChaPoly>(payload_key);
  OPENSSL_cleanse(payload_key, sizeof payload_key);
  return std::unique_ptr<DecryptingSource>(new DecryptingSource(std::move(state)));
}

Result<size_t> DecryptingSource::read(char* buffer, size_t capacity) {
  State& s = *state_;
  if (s.error) return *s.error;
  while (s.plaintext_at == s.plaintext_end) {
    if (s.done) return size_t{0};
    Status st = s.final_seen ? s.check_end() : s.next_chunk();
    if (!st.ok()) return st.error();
  }
  size_t take = std::min(capacity, s.plaintext_end - s.plaintext_at);
  std::memcpy(buffer, s.plaintext.data() + s.plaintext_at, take);
  s.plaintext_at += take;
  return take;
}

uint64_t DecryptingSource::raw_bytes_read() const { return state_->raw->raw_bytes_read(); }
DecryptFailure DecryptingSource::failure() const { return state_->failure; }

std::string_view decrypt_failure_name(DecryptFailure failure) {
  switch (failure) {
    case DecryptFailure::kNone:
      return "success";
    case DecryptFailure::kNoMatch:
      return "no match";
    case DecryptFailure::kHeaderFailure:
      return "header failure";
    case DecryptFailure::kHmacFailure:
      return "HMAC failure";
    case DecryptFailure::kPayloadFailure:
      return "payload failure";
    case DecryptFailure::kArmorFailure:
      return "armor failure";
    case DecryptFailure::kIo:
      return "I/O error";
  }
  return "unknown";
}

}  // namespace airlock::crypto
