// upload: the last gate. A run's clean output leaves the building only
// after the run verifies, and only as the exact bytes the run wrote.
//
//   verify_for_upload   the signed manifest, audit chain and digests hold
//                       (audit::verify_run), the verdict is pass, and the
//                       clean output decrypts to the manifest's plaintext
//                       size and SHA-256. Decrypted in memory, chunk by
//                       chunk: no plaintext file is ever written.
//   send_to_api         an OpenAI-compatible Files API over HTTPS (Boost.Beast
//                       on OpenSSL, TLS 1.2 or later, the peer's certificate
//                       and host name verified): POST /files up to the Files
//                       API limit, above it the Uploads API (create, parts,
//                       complete with the MD5). Retries with backoff on 429,
//                       5xx and dropped connections; an Uploads transfer that
//                       ran out of tries is kept (DIR/upload-state.json) and
//                       resumed by the next call. The plaintext is checked
//                       again as it is sent; a mismatch aborts before the
//                       request completes.
//   write_to_outbox     the same verified bytes to a folder, for an air gap.
//   append_receipt      one line per delivery in the run's uploads.jsonl,
//                       optionally signed with the run's Ed25519 key.
//
// Errors: kRefused (exit 1) when the run may not leave; kUsage for options
// (a plain http:// URL to anywhere but loopback); kIo / kInput for network,
// TLS and service failures. No error, log line or receipt carries the API
// key or a byte of the data. docs/upload.md describes the flow.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "base/status.h"
#include "crypto/age.h"
#include "crypto/keys.h"
#include "crypto/signing.h"
#include "io/io.h"

namespace airlock::upload {

constexpr const char* kCleanOutput = "clean.jsonl.age";
using audit::kReceiptsFile;
// An Uploads API transfer that stopped part-way: what the next attempt
// resumes from (removed once the upload completes or is cancelled).
using audit::kUploadStateFile;
constexpr const char* kDefaultBaseUrl = "https://api.openai.com/v1";
constexpr uint64_t kFilesApiLimit = 512ull * 1000 * 1000;   // the Files API's documented 512 MB
constexpr uint64_t kDefaultPartSize = 64ull * 1024 * 1024;  // the Uploads API's maximum part size

// A run folder that passed every check; what the senders need.
struct VerifiedRun {
  std::string dir;
  std::string run_id;
  std::string manifest_sha256;
  std::string ciphertext_sha256;  // of clean.jsonl.age, as the manifest lists it
  uint64_t plaintext_size = 0;
  std::string plaintext_sha256;
  std::string plaintext_md5;  // hex, for the Uploads API's /complete
  std::vector<crypto::Identity> identities;
  std::string clean_path() const { return dir + "/" + kCleanOutput; }
  // The name the data goes out under: the run folder's name + ".jsonl".
  std::string upload_name() const;
};

// `public_key` is the raw 32-byte Ed25519 key the manifest must be signed
// by. Every reason to refuse is a kRefused error that names the folder and
// what failed; an identity that opens nothing is kRefused too.
Result<VerifiedRun> verify_for_upload(const std::string& dir, const std::string& public_key,
                                      std::vector<crypto::Identity> identities);

// The clean output decrypted again as a stream that checks itself: read()
// fails (kRefused) as soon as more bytes come than the manifest says, and
// at the end, instead of returning 0, when the size or SHA-256 differ.
Result<std::unique_ptr<io::ByteSource>> open_verified_plaintext(const VerifiedRun& run);

struct RetryPolicy {
  unsigned max_attempts = 5;                   // per request, the first included
  std::chrono::milliseconds base{1000};        // first backoff; doubles each time
  std::chrono::milliseconds max_delay{60000};  // cap on a backoff and on Retry-After
};

struct ApiOptions {
  std::string base_url = kDefaultBaseUrl;  // paths are appended: {base}/files
  std::string purpose = "fine-tune";
  std::string ca_file;                   // empty: the system's trust store
  bool allow_insecure_loopback = false;  // http:// to 127.0.0.1, ::1, localhost
  uint64_t part_size = kDefaultPartSize;
  uint64_t files_api_limit = kFilesApiLimit;  // larger files take the Uploads API
  RetryPolicy retry;
  std::chrono::seconds timeout{300};  // per network operation (connect, write, read)
  // Called as bytes go out (sent, total); and with one line per retry.
  std::function<void(uint64_t, uint64_t)> progress;
  std::function<void(const std::string&)> notice;
};

// The options' own errors (kUsage), checked before any work: a malformed
// base URL, plain http:// (refused except to loopback with
// allow_insecure_loopback), a part size of 0, a purpose that is not a
// plain word.
Status check_api_options(const ApiOptions& options);

// Where the data went, for the receipt and the user.
struct Receipt {
  std::string time;      // UTC, ISO 8601
  std::string endpoint;  // the URL that created the file, or "dir:PATH"
  std::string api;       // "files", "uploads" or "outbox"
  std::string purpose;   // empty for the outbox
  std::string filename;
  std::string file_id;  // the service's id, or the outbox file's name
  uint64_t bytes = 0;
  std::string plaintext_sha256;
  std::string manifest_sha256;
  std::string run_id;
};

// `api_key` goes into the Authorization header and nowhere else.
Result<Receipt> send_to_api(const VerifiedRun& run, const ApiOptions& options, const crypto::SecretBytes& api_key);

// Writes the verified plaintext to FOLDER/<upload_name()> (mode 0600),
// published only once the whole of it decrypted and matched; an existing
// file of that name is an error.
Result<Receipt> write_to_outbox(const VerifiedRun& run, const std::string& folder);

// The receipt as one JSON line (with its newline). With a key, the line
// ends with "signer" and "signature": the Ed25519 signature (base64) of the
// line's bytes up to the comma before "signature", followed by "}".
Result<std::string> receipt_line(const Receipt& receipt, const crypto::SigningKey* key);
// Whether a receipt line (without its newline) carries a valid signature
// by the raw 32-byte `public_key`.
bool verify_receipt_line(std::string_view line, std::string_view public_key);
// Appends the line to DIR/uploads.jsonl (created mode 0600) and fsyncs.
Status append_receipt(const std::string& dir, const Receipt& receipt, const crypto::SigningKey* key);

}  // namespace airlock::upload
