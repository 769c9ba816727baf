// The OpenAI Files and Uploads APIs: what is sent, in which order, and how
// failures are retried. Everything network-level is HttpClient's.
#include <openssl/rand.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <thread>

#include "audit/audit.h"
#include "base/utc.h"
#include "record/record.h"
#include "upload/internal.h"
#include "upload/upload.h"

namespace airlock::upload {
namespace {

constexpr size_t kReadSize = 1 << 20;
constexpr size_t kMaxShownText = 300;

std::string random_boundary() {
  unsigned char bytes[16];
  RAND_bytes(bytes, sizeof bytes);
  return "airlock-" + io::hex(bytes, sizeof bytes);
}

// A multipart/form-data body: text fields, then one file field whose bytes
// the caller streams between head() and tail().
class Multipart {
 public:
  Multipart() : boundary_(random_boundary()) {}
  void add_field(std::string_view name, std::string_view value) {
    head_ += "--" + boundary_ + "\r\nContent-Disposition: form-data; name=\"" + std::string(name) + "\"\r\n\r\n" +
             std::string(value) + "\r\n";
  }
  void start_file(std::string_view name, std::string_view filename) {
    head_ += "--" + boundary_ + "\r\nContent-Disposition: form-data; name=\"" + std::string(name) + "\"; filename=\"" +
             std::string(filename) + "\"\r\nContent-Type: application/jsonl\r\n\r\n";
  }
  const std::string& head() const { return head_; }
  std::string tail() const { return "\r\n--" + boundary_ + "--\r\n"; }
  std::string content_type() const { return "multipart/form-data; boundary=" + boundary_; }
  uint64_t length(uint64_t file_bytes) const { return head_.size() + file_bytes + tail().size(); }

 private:
  std::string boundary_;
  std::string head_;
};

// What a service said, made safe to show: the key removed wherever a
// server echoed it (in the whole text, before any cut could leave part of
// it), control characters replaced, the length capped.
std::string shown(std::string_view text, std::string_view key) {
  std::string out(text);
  if (!key.empty()) {
    constexpr std::string_view kMask = "[API key]";
    // On past the mask: a key that occurs in "[API key]" must not loop.
    for (size_t at = out.find(key); at != std::string::npos; at = out.find(key, at + kMask.size())) {
      out.replace(at, key.size(), kMask);
    }
  }
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  if (out.size() > kMaxShownText) out = out.substr(0, kMaxShownText) + "...";
  return out;
}

}  // namespace

std::string service_message(std::string_view body, std::string_view key) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view message;
  if (parser.parse(body.data(), body.size()).get(doc) == simdjson::SUCCESS &&
      doc["error"]["message"].get(message) == simdjson::SUCCESS) {
    return shown(message, key);
  }
  return shown(body, key);
}

Result<std::string> answer_id(std::string_view body, std::initializer_list<std::string_view> path,
                              const std::string& url) {
  simdjson::dom::parser parser;
  simdjson::dom::element at;
  if (parser.parse(body.data(), body.size()).get(at) != simdjson::SUCCESS)
    return input_error(url + ": the answer is not JSON");
  for (std::string_view key : path) {
    if (at[key].get(at) != simdjson::SUCCESS) return input_error(url + ": the answer has no " + std::string(key));
  }
  std::string_view id;
  if (at.get(id) != simdjson::SUCCESS || !valid_id(id)) return input_error(url + ": the answer's id is not a plain id");
  return std::string(id);
}

namespace {

bool retryable(int status) { return status == 408 || status == 429 || status >= 500; }

// Requests with retries: exponential backoff with jitter, or the server's
// Retry-After, on 408, 429, 5xx and lost connections. Errors: kIo when
// the tries ran out, kInput for a final answer (400, 401, 404...).
class ApiSession {
 public:
  ApiSession(Url base, std::unique_ptr<HttpClient> client, const ApiOptions& options, const crypto::SecretBytes& key)
      : base_(std::move(base)),
        client_(std::move(client)),
        options_(options),
        key_(key.view()),
        authorization_(bearer(key.view())),
        random_(std::random_device{}()) {}

  std::string url(const std::string& path) const { return base_.text() + path; }
  const ApiOptions& options() const { return options_; }

  // POSTs; the body writer is called afresh for each attempt. Returns the
  // body of a 2xx answer.
  Result<std::string> post(const std::string& path, std::string_view content_type, uint64_t length,
                           const BodyWriter& body) {
    for (unsigned attempt = 1;; ++attempt) {
      Result<Response> response = client_->post(path, authorization_.view(), content_type, length, body);
      std::optional<uint64_t> retry_after;
      std::string why;
      if (!response.ok()) {
        if (response.error().kind != ErrorKind::kIo) return response.error();
        why = response.error().message;
      } else if (response->status / 100 == 2) {
        return std::move(response->body);
      } else {
        why = url(path) + ": HTTP " + std::to_string(response->status) + ": " + service_message(response->body, key());
        // kInput: the service's final answer; kIo below: gave up trying.
        if (!retryable(response->status)) return input_error(why);
        retry_after = response->retry_after;
      }
      if (attempt >= options_.retry.max_attempts) {
        return io_error(why + " (gave up after " + std::to_string(attempt) + " attempts)");
      }
      // A hostile Retry-After must neither overflow nor stall the command.
      std::chrono::milliseconds delay =
          retry_after ? std::chrono::milliseconds(std::min<uint64_t>(*retry_after, 86400) * 1000) : backoff(attempt);
      delay = std::min(delay, options_.retry.max_delay);
      if (options_.notice) {
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%.1f s", static_cast<double>(delay.count()) / 1000);
        options_.notice(why + "; retrying in " + seconds + " (attempt " + std::to_string(attempt + 1) + " of " +
                        std::to_string(options_.retry.max_attempts) + ")");
      }
      std::this_thread::sleep_for(delay);
    }
  }

  // One attempt, failures ignored: tidying up after a failed transfer.
  void post_once(const std::string& path) {
    (void)client_->post(path, authorization_.view(), "application/json", 0, [](const Send&) { return ok_status(); });
  }

 private:
  std::string_view key() const { return key_.view(); }

  // "Bearer KEY", built in place: no unwiped temporary holds the key.
  static crypto::SecretBytes bearer(std::string_view key) {
    constexpr std::string_view kScheme = "Bearer ";
    crypto::SecretBytes header(kScheme.size() + key.size());
    std::copy(kScheme.begin(), kScheme.end(), header.data());
    std::copy(key.begin(), key.end(), header.data() + kScheme.size());
    return header;
  }

  // base·2^(attempt-1), capped, then a random point in its upper half so
  // that many clients do not retry in step.
  std::chrono::milliseconds backoff(unsigned attempt) {
    int64_t cap = options_.retry.max_delay.count();
    int64_t delay = options_.retry.base.count();
    for (unsigned i = 1; i < attempt && delay < cap; ++i) delay *= 2;
    delay = std::min(delay, cap);
    std::uniform_int_distribution<int64_t> jitter(delay / 2, std::max<int64_t>(delay, 0));
    return std::chrono::milliseconds(jitter(random_));
  }

  Url base_;
  std::unique_ptr<HttpClient> client_;
  const ApiOptions& options_;
  crypto::SecretBytes key_;
  crypto::SecretBytes authorization_;
  std::mt19937_64 random_;
};

void report_progress(const ApiOptions& options, uint64_t sent, uint64_t total) {
  if (options.progress) options.progress(sent, total);
}

Receipt receipt_for(const VerifiedRun& run, const ApiOptions& options, std::string endpoint, std::string api,
                    std::string file_id) {
  Receipt receipt;
  receipt.time = utc_timestamp();
  receipt.endpoint = std::move(endpoint);
  receipt.api = std::move(api);
  receipt.purpose = options.purpose;
  receipt.filename = run.upload_name();
  receipt.file_id = std::move(file_id);
  receipt.bytes = run.plaintext_size;
  receipt.plaintext_sha256 = run.plaintext_sha256;
  receipt.manifest_sha256 = run.manifest_sha256;
  receipt.run_id = run.run_id;
  return receipt;
}

// POST {base}/files: one multipart request, the plaintext streamed in it.
// The closing boundary goes out only after the stream proved the whole
// plaintext matches the manifest; a mismatch drops the connection first.
Result<Receipt> send_files(ApiSession& session, const VerifiedRun& run) {
  const ApiOptions& options = session.options();
  Multipart form;
  form.add_field("purpose", options.purpose);
  form.start_file("file", run.upload_name());
  BodyWriter body = [&](const Send& send) -> Status {
    Result<std::unique_ptr<io::ByteSource>> source = open_verified_plaintext(run);
    if (!source.ok()) return source.error();
    if (Status s = send(form.head()); !s.ok()) return s;
    crypto::SecretBytes buffer(kReadSize);
    for (uint64_t sent = 0;;) {
      Result<size_t> got = source.value()->read(reinterpret_cast<char*>(buffer.data()), buffer.size());
      if (!got.ok()) return got.error();
      if (got.value() == 0) break;
      if (Status s = send(buffer.view().substr(0, got.value())); !s.ok()) return s;
      sent += got.value();
      report_progress(options, sent, run.plaintext_size);
    }
    return send(form.tail());
  };
  Result<std::string> answer = session.post("/files", form.content_type(), form.length(run.plaintext_size), body);
  if (!answer.ok()) return answer.error();
  Result<std::string> id = answer_id(answer.value(), {"id"}, session.url("/files"));
  if (!id.ok()) return id.error();
  return receipt_for(run, options, session.url("/files"), "files", id.value());
}

// Reads up to buffer.size() bytes; fewer only at the end of the source.
Result<size_t> fill(io::ByteSource& source, crypto::SecretBytes& buffer) {
  size_t filled = 0;
  while (filled < buffer.size()) {
    Result<size_t> got = source.read(reinterpret_cast<char*>(buffer.data()) + filled, buffer.size() - filled);
    if (!got.ok()) return got.error();
    if (got.value() == 0) break;
    filled += got.value();
  }
  return filled;
}

Result<std::string> create_upload(ApiSession& session, const VerifiedRun& run) {
  std::string json = "{\"filename\":";
  record::append_json_string(json, run.upload_name());
  json += ",\"purpose\":";
  record::append_json_string(json, session.options().purpose);
  json += ",\"bytes\":" + std::to_string(run.plaintext_size) + ",\"mime_type\":\"application/jsonl\"}";
  Result<std::string> answer =
      session.post("/uploads", "application/json", json.size(), [&](const Send& send) { return send(json); });
  if (!answer.ok()) return answer.error();
  return answer_id(answer.value(), {"id"}, session.url("/uploads"));
}

// Skips the parts the service already acknowledged (they are decrypted and
// checked all the same: the digest covers the whole plaintext).
Status skip_parts(io::ByteSource& source, crypto::SecretBytes& part, size_t count, const std::string& name) {
  for (size_t i = 0; i < count; ++i) {
    Result<size_t> filled = fill(source, part);
    if (!filled.ok()) return filled.error();
    // Only the last part may be short (when /complete is what failed).
    if (filled.value() < part.size() && i + 1 < count) {
      return internal_error(name + ": shorter than the parts already sent");
    }
  }
  return ok_status();
}

// Sends the parts one after another, from the first one `state` does not
// list; each is retried on its own and recorded in `log` once acknowledged,
// so a transfer resumes at the first part the service has not acknowledged
// — in this process after a retry, or in the next one after a failure.
Status send_parts(ApiSession& session, const VerifiedRun& run, TransferState& state, const TransferLog& log) {
  const ApiOptions& options = session.options();
  Result<std::unique_ptr<io::ByteSource>> source = open_verified_plaintext(run);
  if (!source.ok()) return source.error();
  crypto::SecretBytes part(static_cast<size_t>(std::min<uint64_t>(options.part_size, run.plaintext_size + 1)));
  if (Status s = skip_parts(**source, part, state.part_ids.size(), run.clean_path()); !s.ok()) return s;
  std::string path = "/uploads/" + state.upload_id + "/parts";
  for (uint64_t sent = state.part_ids.size() * part.size();;) {
    // The read that finds the end is the one that checks the whole
    // plaintext: a mismatch stops here, before /complete.
    Result<size_t> filled = fill(**source, part);
    if (!filled.ok()) return filled.error();
    if (filled.value() == 0) break;
    Multipart form;
    form.start_file("data", run.upload_name());
    std::string_view bytes = part.view().substr(0, filled.value());
    Result<std::string> answer =
        session.post(path, form.content_type(), form.length(bytes.size()), [&](const Send& send) -> Status {
          Status s = send(form.head());
          if (s.ok()) s = send(bytes);
          return s.ok() ? send(form.tail()) : s;
        });
    if (!answer.ok()) return answer.error();
    Result<std::string> id = answer_id(answer.value(), {"id"}, session.url(path));
    if (!id.ok()) return id.error();
    state.part_ids.push_back(id.value());
    if (Status s = log.save(state); !s.ok()) return s;
    sent += bytes.size();
    report_progress(options, sent, run.plaintext_size);
    // A short part was cut by the end of the plaintext, already checked.
    if (filled.value() < part.size()) break;
  }
  return ok_status();
}

Result<std::string> complete_upload(ApiSession& session, const VerifiedRun& run, const std::string& upload,
                                    const std::vector<std::string>& part_ids) {
  std::string json = "{\"part_ids\":[";
  for (size_t i = 0; i < part_ids.size(); ++i) {
    if (i) json += ',';
    record::append_json_string(json, part_ids[i]);
  }
  json += "],\"md5\":\"" + run.plaintext_md5 + "\"}";
  std::string path = "/uploads/" + upload + "/complete";
  Result<std::string> answer =
      session.post(path, "application/json", json.size(), [&](const Send& send) { return send(json); });
  if (!answer.ok()) return answer.error();
  return answer_id(answer.value(), {"file", "id"}, session.url(path));
}

// The upload to continue (from an earlier, interrupted command), or a new one.
Result<TransferState> start_upload(ApiSession& session, const VerifiedRun& run, const TransferLog& log) {
  if (std::optional<TransferState> earlier = log.load()) {
    if (session.options().notice) {
      session.options().notice("resuming upload " + earlier->upload_id + " after its " +
                               std::to_string(earlier->part_ids.size()) + " acknowledged parts");
    }
    return *earlier;
  }
  Result<std::string> upload = create_upload(session, run);
  if (!upload.ok()) return upload.error();
  TransferState state{upload.value(), {}};
  if (Status s = log.save(state); !s.ok()) return s.error();
  return state;
}

// POST {base}/uploads, then the parts, then /complete with the part ids
// and the MD5. When the tries run out (kIo) the upload is kept, for the
// same command to resume; any other failure (a refused plaintext, a final
// answer of the service) cancels it, so that no half transfer lingers.
Result<Receipt> send_uploads(ApiSession& session, const VerifiedRun& run) {
  TransferLog log(run.dir, session.url("/uploads"), session.options().part_size, run.plaintext_sha256);
  Result<TransferState> state = start_upload(session, run, log);
  if (!state.ok()) return state.error();
  Status parts = send_parts(session, run, state.value(), log);
  Result<std::string> file_id = parts.ok() ? complete_upload(session, run, state->upload_id, state->part_ids)
                                           : Result<std::string>(parts.error());
  if (file_id.ok()) {
    log.remove();
    return receipt_for(run, session.options(), session.url("/uploads"), "uploads", file_id.value());
  }
  Error error = file_id.error();
  if (error.kind == ErrorKind::kIo) {
    error.message += " (upload " + state->upload_id + " kept after " + std::to_string(state->part_ids.size()) +
                     " acknowledged parts: the same command resumes it)";
    return error;
  }
  session.post_once("/uploads/" + state->upload_id + "/cancel");
  log.remove();
  error.message += " (upload " + state->upload_id + " cancelled)";
  return error;
}

}  // namespace

Status check_api_options(const ApiOptions& options) {
  Result<Url> base = parse_url(options.base_url);
  if (!base.ok()) return base.error();
  // The purpose goes into a multipart field as is: a plain word only
  // (fine-tune, batch, user_data...), so it cannot break the framing.
  if (!valid_id(options.purpose)) {
    return usage_error("--purpose " + shown(options.purpose, {}) + ": letters, digits, - and _ only");
  }
  if (options.part_size == 0) return usage_error("--part-size must be at least 1 byte");
  return check_transport(base.value(), options.allow_insecure_loopback);
}

Result<Receipt> send_to_api(const VerifiedRun& run, const ApiOptions& options, const crypto::SecretBytes& api_key) {
  if (Status s = check_api_options(options); !s.ok()) return s.error();
  if (api_key.empty()) return usage_error("no API key");
  Result<Url> base = parse_url(options.base_url);
  Result<std::unique_ptr<HttpClient>> client =
      HttpClient::create(base.value(), {options.ca_file, options.allow_insecure_loopback, options.timeout});
  if (!client.ok()) return client.error();
  ApiSession session(base.value(), std::move(client.value()), options, api_key);
  if (run.plaintext_size > options.files_api_limit) return send_uploads(session, run);
  return send_files(session, run);
}

}  // namespace airlock::upload
