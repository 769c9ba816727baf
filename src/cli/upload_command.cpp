// airlock upload: hands a verified run's clean output to an OpenAI-compatible
// Files API, or to an outbox folder. The checks and the transfer live in
// src/upload; this file parses, wires and reports.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/crypto_io.h"
#include "upload/upload.h"

namespace airlock::cli {
namespace {

const char kUploadHelp[] = R"(Usage: airlock upload DIR -i IDENTITY_FILE --public-key KEY [options]

Sends the clean output of the run in DIR to an OpenAI-compatible Files API,
only after the run verifies:
  - manifest.sig is a valid signature of manifest.json by KEY, the audit
    chain is whole and every output matches its digest (airlock audit verify);
  - the run's verdict is pass;
  - clean.jsonl.age decrypts (in memory, never to a file) to exactly the
    plaintext size and SHA-256 that the manifest records.
Any failure refuses before a single byte goes out (exit 1). The plaintext is
checked again as it is sent; a mismatch aborts before the request completes.

Files up to 512 MB go to POST {base}/files; larger ones through the Uploads
API ({base}/uploads, parts, complete with the MD5; a transfer that ran out
of retries is kept in DIR/upload-state.json, and the same command resumes it
at the first part not acknowledged). Over HTTPS only: TLS 1.2 or later, the
server's certificate checked against the system's CA store (or --ca-file)
and its host name. The file id is printed on standard output and a receipt
appended to DIR/uploads.jsonl.

Options:
  -i, --identity FILE     an age identity file that opens clean.jsonl.age;
                          repeatable
  --public-key KEY        the run's signer: ed25519:... or a file holding it
  --base-url URL          the API's base (default https://api.openai.com/v1);
                          paths are appended, e.g. {base}/files
  --purpose P             the Files API purpose (default fine-tune)
  --api-key-file FILE     the API key is the first line of FILE; otherwise it
                          is taken from OPENAI_API_KEY. It is sent in the
                          Authorization header and never printed
  --ca-file FILE          trust the CA certificates in FILE (PEM) instead of
                          the system's store
  --allow-insecure-loopback
                          allow plain http:// to 127.0.0.1, ::1 or localhost
                          (a local test server); never to anything else
  --part-size N           Uploads API part size (default and highest 64M)
  --max-attempts N        tries per request on 429, 5xx and dropped
                          connections, with exponential backoff and jitter,
                          or the server's Retry-After (default 5)
  --timeout SECONDS       give up on a connection silent for this long
                          (connect, send, answer; default 300); retried
  --target dir:PATH       write the verified plaintext to the folder PATH
                          (mode 0600, published only when complete) instead
                          of uploading: for an air-gapped transfer
  --signing-key FILE      sign the receipt line with this Ed25519 key
  --strict-perms          refuse identity and key files others can read
  -h, --help              this text

Exit status: 0 sent (or written); 1 refused: the run does not verify, is
unsigned, did not pass, or its clean output does not match the manifest;
2 usage error (including plain http:// without --allow-insecure-loopback);
3 the network, TLS (an untrusted certificate, a name mismatch), the service
or the outbox failed.
)";

constexpr uint64_t kMaxPartSize = 64ull * 1024 * 1024;

const std::vector<OptionSpec> kUploadOptions = {
    {"--identity", "-i", true},
    {"--public-key", "", true},
    {"--base-url", "", true},
    {"--purpose", "", true},
    {"--api-key-file", "", true},
    {"--ca-file", "", true},
    {"--allow-insecure-loopback", "", false},
    {"--part-size", "", true},
    {"--max-attempts", "", true},
    {"--target", "", true},
    {"--signing-key", "", true},
    {"--strict-perms", "", false},
    {"--help", "-h", false},
    {"--timeout", "", true},
    // For tests, not in --help: the Files API limit (to take the Uploads
    // API with small data) and the first backoff.
    {"--files-api-limit", "", true},
    {"--retry-base-ms", "", true},
};

// Everything the command needs, read and checked before the run is.
struct Plan {
  std::string dir;
  std::vector<crypto::Identity> identities;
  std::string public_key;
  std::optional<std::string> outbox;  // --target dir:PATH
  upload::ApiOptions api;
  crypto::SecretBytes api_key;
  std::optional<crypto::SigningKey> signing_key;
};

// An API key goes into an HTTP header: printable ASCII without spaces.
Status check_api_key(const crypto::SecretBytes& key, const std::string& origin) {
  if (key.empty()) return usage_error("the API key from " + origin + " is empty");
  for (char c : key.view()) {
    if (c <= ' ' || c > '~') {
      return usage_error("the API key from " + origin + " holds a character that cannot go into an HTTP header");
    }
  }
  return ok_status();
}

Result<crypto::SecretBytes> read_api_key(const ParsedArgs& a) {
  if (a.has("--api-key-file")) {
    std::string path = a.value("--api-key-file");
    Result<crypto::SecretBytes> key = read_key_line(path, KeyFile::kApiKey, a.has("--strict-perms"), "API key");
    if (!key.ok()) return key.error();
    if (Status s = check_api_key(key.value(), path); !s.ok()) return s.error();
    return key;
  }
  const char* value = std::getenv("OPENAI_API_KEY");
  if (!value) return usage_error("no API key: give --api-key-file FILE or set OPENAI_API_KEY");
  crypto::SecretBytes key{std::string_view(value)};
  if (Status s = check_api_key(key, "OPENAI_API_KEY"); !s.ok()) return s.error();
  return key;
}

Status read_api_options(const ParsedArgs& a, upload::ApiOptions& api) {
  api.base_url = a.value("--base-url", upload::kDefaultBaseUrl);
  api.purpose = a.value("--purpose", "fine-tune");
  if (api.purpose.empty()) return usage_error("--purpose is empty");
  api.ca_file = a.value("--ca-file");
  api.allow_insecure_loopback = a.has("--allow-insecure-loopback");
  Result<uint64_t> part = parse_size(a.value("--part-size", "64M"), "--part-size");
  if (!part.ok()) return part.error();
  if (part.value() == 0 || part.value() > kMaxPartSize) return usage_error("--part-size must be from 1 byte to 64M");
  api.part_size = part.value();
  Result<uint64_t> limit =
      parse_size(a.value("--files-api-limit", std::to_string(upload::kFilesApiLimit)), "--files-api-limit");
  if (!limit.ok()) return limit.error();
  api.files_api_limit = limit.value();
  Result<uint64_t> attempts = parse_number(a.value("--max-attempts", "5"), "--max-attempts", 1, 100);
  if (!attempts.ok()) return attempts.error();
  api.retry.max_attempts = static_cast<unsigned>(attempts.value());
  Result<uint64_t> base = parse_number(a.value("--retry-base-ms", "1000"), "--retry-base-ms", 0, 600000);
  if (!base.ok()) return base.error();
  api.retry.base = std::chrono::milliseconds(base.value());
  Result<uint64_t> timeout = parse_number(a.value("--timeout", "300"), "--timeout", 1, 86400);
  if (!timeout.ok()) return timeout.error();
  api.timeout = std::chrono::seconds(timeout.value());
  return upload::check_api_options(api);
}

Status read_target(const ParsedArgs& a, Plan& plan) {
  std::string target = a.value("--target");
  if (target.rfind("dir:", 0) != 0 || target.size() == 4) {
    return usage_error("--target " + target + ": the only target is dir:PATH (a folder)");
  }
  for (const char* api_only : {"--base-url", "--purpose", "--api-key-file", "--ca-file", "--allow-insecure-loopback",
                               "--part-size", "--max-attempts", "--timeout"}) {
    if (a.has(api_only)) return usage_error(std::string(api_only) + " does not go with --target (nothing is sent)");
  }
  plan.outbox = target.substr(4);
  return ok_status();
}

Result<Plan> read_plan(const ParsedArgs& a) {
  Plan plan;
  if (a.positionals().size() != 1) return usage_error("upload takes one run folder");
  plan.dir = a.positionals()[0];
  Result<std::vector<crypto::Identity>> identities =
      read_identity_files(a.values("--identity"), a.has("--strict-perms"));
  if (!identities.ok()) return identities.error();
  if (identities->empty()) return usage_error("no identity: give -i IDENTITY_FILE (it opens clean.jsonl.age)");
  plan.identities = std::move(identities.value());
  if (!a.has("--public-key")) return usage_error("--public-key KEY is required: the run's signer");
  Result<std::string> key = read_public_key(a.value("--public-key"));
  if (!key.ok()) return key.error();
  plan.public_key = key.value();
  if (a.has("--signing-key")) {
    Result<crypto::SigningKey> signing = read_signing_key(a.value("--signing-key"));
    if (!signing.ok()) return signing.error();
    plan.signing_key = std::move(signing.value());
  }
  if (a.has("--target")) {
    if (Status s = read_target(a, plan); !s.ok()) return s.error();
    return plan;
  }
  if (Status s = read_api_options(a, plan.api); !s.ok()) return s.error();
  Result<crypto::SecretBytes> api_key = read_api_key(a);
  if (!api_key.ok()) return api_key.error();
  plan.api_key = std::move(api_key.value());
  return plan;
}

// "\r12.0 of 40.0 MiB sent" on a terminal, at most ten times a second.
std::function<void(uint64_t, uint64_t)> progress_line() {
  if (!::isatty(STDERR_FILENO)) return nullptr;
  auto last = std::make_shared<std::chrono::steady_clock::time_point>();
  return [last](uint64_t sent, uint64_t total) {
    auto now = std::chrono::steady_clock::now();
    if (sent < total && now - *last < std::chrono::milliseconds(100)) return;
    *last = now;
    std::fprintf(stderr, "\rairlock upload: %.1f of %.1f MiB sent%s", static_cast<double>(sent) / (1 << 20),
                 static_cast<double>(total) / (1 << 20), sent >= total ? "\n" : "");
  };
}

int deliver(Plan& plan) {
  Result<upload::VerifiedRun> run = upload::verify_for_upload(plan.dir, plan.public_key, std::move(plan.identities));
  if (!run.ok()) return report_error(run.error());
  std::cerr << "airlock upload: " << plan.dir << ": verified (signature, audit chain, digests, verdict pass, "
            << run->plaintext_size << " bytes of plaintext matching the manifest)\n";
  Result<upload::Receipt> receipt = [&]() -> Result<upload::Receipt> {
    if (plan.outbox) return upload::write_to_outbox(run.value(), *plan.outbox);
    plan.api.progress = progress_line();
    plan.api.notice = [](const std::string& line) { std::cerr << "airlock upload: " << line << "\n"; };
    return upload::send_to_api(run.value(), plan.api, plan.api_key);
  }();
  if (!receipt.ok()) return report_error(receipt.error());
  std::cout << receipt->file_id << "\n" << std::flush;
  std::cerr << "airlock upload: " << receipt->bytes << " bytes to " << receipt->endpoint << " (" << receipt->api
            << "): " << receipt->file_id << "\n";
  Status noted = upload::append_receipt(plan.dir, receipt.value(), plan.signing_key ? &*plan.signing_key : nullptr);
  if (!noted.ok()) return report_error(noted.error());
  return 0;
}

}  // namespace

int upload_command(const std::vector<std::string>& args) {
  Result<ParsedArgs> parsed = parse_args(args, kUploadOptions);
  if (!parsed.ok()) return report_usage_error("upload", parsed.error());
  if (parsed->has("--help")) {
    std::cout << kUploadHelp;
    return 0;
  }
  Result<Plan> plan = read_plan(parsed.value());
  if (!plan.ok()) return report_usage_error("upload", plan.error());
  return deliver(plan.value());
}

}  // namespace airlock::cli
