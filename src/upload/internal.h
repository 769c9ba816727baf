// Inside the upload library: a minimal HTTP/1.1 client for POST requests
// with a streamed body. Boost.Beast stays in http_client.cpp, so that only
// that file pays its compile time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace airlock::upload {


struct Url {
  bool tls = true;
  std::string host;  // without brackets for IPv6
  std::string port;
  std::string path;  // "/v1", no trailing slash; may be empty
  bool is_loopback() const;
  std::string text() const;  // scheme://host[:port]path
};
// http:// or https://, a host, an optional port and path; no user info,
// query or fragment. Errors (kUsage) quote the URL, which holds no secret.
Result<Url> parse_url(std::string_view text);

// Plain http:// is refused (kUsage) except to loopback when allowed: the
// key and the data would cross the network in clear.
Status check_transport(const Url& url, bool allow_insecure_loopback);

struct ClientOptions {
  std::string ca_file;  // empty: the system's trust store
  bool allow_insecure_loopback = false;
  std::chrono::seconds timeout{300};
};

struct Response {
  int status = 0;
  std::string body;                     // at most 1 MiB is accepted
  std::optional<uint64_t> retry_after;  // seconds, when the server said
};

// Sends one piece of the body; a failure ends the request.
using Send = std::function<Status(std::string_view)>;
// Produces the body (exactly the announced content length) through `send`.
// Its own error (say, a plaintext that fails its check) aborts the request:
// the connection is closed before the body is complete, so the server never
// sees a whole request.
using BodyWriter = std::function<Status(const Send& send)>;

// Errors of post(): kIo for a connection that failed or dropped (worth a
// retry); kInput for a TLS failure, such as an untrusted certificate or a
// name mismatch (not worth one); the body writer's own error as it is.
class HttpClient {
 public:
  // Refuses (kUsage) plain http:// except to loopback with
  // allow_insecure_loopback, and an unreadable --ca-file.
  static Result<std::unique_ptr<HttpClient>> create(const Url& base, const ClientOptions& options);
  virtual ~HttpClient() = default;
  // POST base.path + `path`. The connection is kept for the next request
  // when the server allows, and made again after a failure.
  virtual Result<Response> post(const std::string& path, std::string_view authorization, std::string_view content_type,
                                uint64_t content_length, const BodyWriter& body) = 0;
};

// An Uploads API transfer in progress: its upload id and the parts the
// service acknowledged, in order.
struct TransferState {
  std::string upload_id;
  std::vector<std::string> part_ids;
};

// DIR/upload-state.json, rewritten (atomically) after every acknowledged
// part, so that a later `airlock upload` of the same run resumes where an
// interrupted one stopped. A state made for another endpoint, part size or
// plaintext is not this transfer's, and is ignored.
class TransferLog {
 public:
  TransferLog(std::string dir, std::string endpoint, uint64_t part_size, std::string plaintext_sha256)
      : dir_(std::move(dir)),
        endpoint_(std::move(endpoint)),
        part_size_(part_size),
        plaintext_sha256_(std::move(plaintext_sha256)) {}
  std::optional<TransferState> load() const;
  Status save(const TransferState& state) const;
  void remove() const;

 private:
  std::string dir_, endpoint_;
  uint64_t part_size_;
  std::string plaintext_sha256_;
};

// What a service said (its {"error":{"message":...}}, or else its body),
// made safe to show: `key` masked wherever it was echoed, control
// characters replaced, at most 300 characters.
std::string service_message(std::string_view body, std::string_view key);
// The id at `path` of a JSON answer ({"id"}, or {"file":{"id"}}), checked
// with valid_id; otherwise kInput naming `url` (a malformed answer is the
// service's final word, not worth a retry).
Result<std::string> answer_id(std::string_view body, std::initializer_list<std::string_view> path,
                              const std::string& url);

// Ids the service returns go into URLs, receipts and the terminal: only
// letters, digits, '-' and '_' (1 to 200 of them) are accepted.
bool valid_id(std::string_view id);

}  // namespace airlock::upload
