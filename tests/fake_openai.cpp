// The fake Files/Uploads API of fake_openai.h. Beast is confined here.
#include "fake_openai.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <simdjson.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "io/io.h"
#include "upload/internal.h"

namespace airlock::test {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

// ---------------------------------------------------------------------------
// Certificates

struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertDeleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using Cert = std::unique_ptr<X509, CertDeleter>;

Key new_key() {
  Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) throw std::runtime_error("EC key generation failed");
  return key;
}

void add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str());
  if (!ext) throw std::runtime_error("bad extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `key`, signed by `issuer_key` (issuer null: self-signed).
Cert make_cert(EVP_PKEY* key, const std::string& common_name, X509* issuer, EVP_PKEY* issuer_key,
               const std::string& alt_names, bool is_ca) {
  static std::atomic<long> serial{1000};
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  add_extension(cert.get(), &ctx, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
  if (is_ca) {
    add_extension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature");
    add_extension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth");
    add_extension(cert.get(), &ctx, NID_subject_alt_name, alt_names);
  }
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) == 0) throw std::runtime_error("X509_sign");
  return cert;
}

std::string to_pem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

std::string to_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

std::string md5_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_md5(), nullptr);
  return io::hex(digest, size);
}

// ---------------------------------------------------------------------------
// multipart/form-data, as a service parses it: strict framing.

struct Field {
  std::string filename, content_type, data;
};

std::string header_param(std::string_view headers, std::string_view param) {
  std::string key = std::string(param) + "=\"";
  size_t at = headers.find(key);
  if (at == std::string_view::npos) return {};
  at += key.size();
  size_t end = headers.find('"', at);
  return end == std::string_view::npos ? std::string() : std::string(headers.substr(at, end - at));
}

std::optional<std::map<std::string, Field>> parse_multipart(std::string_view content_type, std::string_view body) {
  size_t at = content_type.find("boundary=");
  if (content_type.rfind("multipart/form-data", 0) != 0 || at == std::string_view::npos) return std::nullopt;
  std::string delimiter = "--" + std::string(content_type.substr(at + 9));
  if (body.rfind(delimiter, 0) != 0) return std::nullopt;
  std::map<std::string, Field> fields;
  size_t pos = delimiter.size();
  for (;;) {
    if (body.substr(pos, 4) == "--\r\n" && pos + 4 == body.size()) return fields;
    if (body.substr(pos, 2) != "\r\n") return std::nullopt;
    pos += 2;
    size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) return std::nullopt;
    std::string_view headers = body.substr(pos, headers_end - pos);
    size_t data_start = headers_end + 4;
    size_t next = body.find("\r\n" + delimiter, data_start);
    if (next == std::string_view::npos) return std::nullopt;
    Field field;
    field.filename = header_param(headers, "filename");
    size_t type_at = headers.find("Content-Type: ");
    if (type_at != std::string_view::npos) {
      size_t type_end = headers.find("\r\n", type_at);
      field.content_type = std::string(headers.substr(type_at + 14, type_end - type_at - 14));
    }
    field.data = std::string(body.substr(data_start, next - data_start));
    fields[header_param(headers, "name")] = std::move(field);
    pos = next + 2 + delimiter.size();
  }
}

std::string error_json(const std::string& message) { return R"({"error":{"message":")" + message + R"("}})"; }

}  // namespace

// ---------------------------------------------------------------------------

struct TestPki::State {
  Key ca_key;
  Cert ca;
  std::string ca_pem;
};

TestPki::TestPki() : state_(std::make_unique<State>()) {
  state_->ca_key = new_key();
  state_->ca = make_cert(state_->ca_key.get(), "airlock test CA", nullptr, nullptr, "", true);
  state_->ca_pem = to_pem(state_->ca.get());
}
TestPki::~TestPki() = default;
const std::string& TestPki::ca_cert() const { return state_->ca_pem; }

Pem TestPki::issue(const std::string& alt_names) const {
  Key key = new_key();
  Cert cert = make_cert(key.get(), "airlock test server", state_->ca.get(), state_->ca_key.get(), alt_names, false);
  return {to_pem(cert.get()), to_pem(key.get())};
}

Pem TestPki::self_signed(const std::string& alt_names) {
  Key key = new_key();
  Cert cert = make_cert(key.get(), "self-signed", nullptr, nullptr, alt_names, false);
  return {to_pem(cert.get()), to_pem(key.get())};
}

struct Upload {
  std::string filename, purpose;
  uint64_t bytes = 0;
  std::map<std::string, std::string> parts;
  bool done = false;
};

struct FakeOpenAI::State {
  Options options;
  net::io_context ioc;
  ssl::context tls{ssl::context::tls_server};
  tcp::acceptor acceptor{ioc};
  uint16_t port = 0;
  std::thread thread;
  std::atomic<bool> stopping{false};

  mutable std::mutex mutex;
  std::map<std::string, std::deque<std::pair<Fault, int>>> faults;
  std::vector<Request> requests;
  std::map<std::string, File> files;
  std::map<std::string, Upload> uploads;
  std::vector<std::string> cancelled;
  int connections = 0;
  int next_id = 1;

  std::string new_id(const std::string& prefix) { return prefix + std::to_string(next_id++); }

  void serve();
  template <class Stream>
  void serve_connection(Stream& stream);
  template <class Stream>
  bool serve_request(Stream& stream, beast::flat_buffer& buffer);
  http::response<http::string_body> answer(const http::request<http::string_body>& request, Request& seen);
  http::response<http::string_body> handle(const std::string& endpoint, const std::string& upload_id,
                                           const http::request<http::string_body>& request);
  std::optional<std::pair<Fault, int>> take_fault(const std::string& endpoint);
};

namespace {

http::response<http::string_body> json_response(http::status status, std::string body) {
  http::response<http::string_body> response{status, 11};
  response.set(http::field::content_type, "application/json");
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

// "/v1/uploads/ID/parts" → ("parts", "ID").
std::pair<std::string, std::string> classify(std::string_view target) {
  if (target == "/v1/files") return {"files", ""};
  if (target == "/v1/uploads") return {"uploads", ""};
  const std::string_view prefix = "/v1/uploads/";
  if (target.rfind(prefix, 0) == 0) {
    std::string_view rest = target.substr(prefix.size());
    size_t slash = rest.find('/');
    if (slash != std::string_view::npos) {
      std::string action(rest.substr(slash + 1));
      if (action == "parts" || action == "complete" || action == "cancel")
        return {action, std::string(rest.substr(0, slash))};
    }
  }
  return {"other", ""};
}

}  // namespace

std::optional<std::pair<FakeOpenAI::Fault, int>> FakeOpenAI::State::take_fault(const std::string& endpoint) {
  std::lock_guard lock(mutex);
  auto& queue = faults[endpoint];
  if (queue.empty()) return std::nullopt;
  auto fault = queue.front();
  queue.pop_front();
  return fault;
}

http::response<http::string_body> FakeOpenAI::State::handle(const std::string& endpoint, const std::string& upload_id,
                                                            const http::request<http::string_body>& request) {
  std::string content_type(request[http::field::content_type]);
  std::lock_guard lock(mutex);
  if (endpoint == "files") {
    auto fields = parse_multipart(content_type, request.body());
    if (!fields || !fields->count("file") || !fields->count("purpose")) {
      return json_response(http::status::bad_request, error_json("malformed multipart body"));
    }
    std::string id = new_id("file-");
    files[id] = {(*fields)["file"].data, (*fields)["file"].filename, (*fields)["purpose"].data, "files"};
    return json_response(http::status::ok, R"({"object":"file","id":")" + id + R"(","bytes":)" +
                                               std::to_string(files[id].bytes.size()) + "}");
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (endpoint == "uploads") {
    Upload upload;
    std::string_view filename, purpose, mime;
    if (parser.parse(request.body()).get(doc) != simdjson::SUCCESS || doc["filename"].get(filename) ||
        doc["purpose"].get(purpose) || doc["bytes"].get(upload.bytes) || doc["mime_type"].get(mime) ||
        mime != "application/jsonl") {
      return json_response(http::status::bad_request, error_json("malformed upload request"));
    }
    upload.filename = std::string(filename);
    upload.purpose = std::string(purpose);
    std::string id = new_id("upload_");
    uploads[id] = upload;
    return json_response(http::status::ok, R"({"object":"upload","status":"pending","id":")" + id + R"("})");
  }
  auto upload = uploads.find(upload_id);
  if (upload == uploads.end() || upload->second.done) {
    return json_response(http::status::not_found, error_json("no such pending upload"));
  }
  if (endpoint == "cancel") {
    upload->second.done = true;
    cancelled.push_back(upload_id);
    return json_response(http::status::ok, R"({"status":"cancelled"})");
  }
  if (endpoint == "parts") {
    auto fields = parse_multipart(content_type, request.body());
    if (!fields || !fields->count("data")) return json_response(http::status::bad_request, error_json("no data field"));
    std::string id = new_id("part_");
    upload->second.parts[id] = (*fields)["data"].data;
    return json_response(http::status::ok, R"({"object":"upload.part","id":")" + id + R"("})");
  }
  // complete: the parts in the order given, the declared size, the MD5.
  simdjson::dom::array ids;
  std::string_view md5;
  if (parser.parse(request.body()).get(doc) != simdjson::SUCCESS || doc["part_ids"].get(ids) || doc["md5"].get(md5)) {
    return json_response(http::status::bad_request, error_json("malformed complete request"));
  }
  std::string bytes;
  for (simdjson::dom::element id : ids) {
    std::string_view text;
    if (id.get(text) || !upload->second.parts.count(std::string(text))) {
      return json_response(http::status::bad_request, error_json("unknown part id"));
    }
    bytes += upload->second.parts[std::string(text)];
  }
  if (bytes.size() != upload->second.bytes) {
    return json_response(http::status::bad_request, error_json("the parts do not add up to the declared bytes"));
  }
  if (md5 != md5_hex(bytes)) return json_response(http::status::bad_request, error_json("md5 mismatch"));
  upload->second.done = true;
  std::string file_id = new_id("file-");
  files[file_id] = {bytes, upload->second.filename, upload->second.purpose, "uploads"};
  return json_response(http::status::ok, R"({"object":"upload","status":"completed","id":")" + upload_id +
                                             R"(","file":{"object":"file","id":")" + file_id + R"("}})");
}

http::response<http::string_body> FakeOpenAI::State::answer(const http::request<http::string_body>& request,
                                                            Request& seen) {
  auto [endpoint, upload_id] = classify(seen.target);
  seen.endpoint = endpoint;
  if (request.method() != http::verb::post || endpoint == "other") {
    return json_response(http::status::not_found, error_json("no such endpoint"));
  }
  if (!seen.authorized) {
    // As the real service does, the key sent is quoted back (unmasked here):
    // the client must not print it.
    std::string sent(request[http::field::authorization]);
    return json_response(http::status::unauthorized, error_json("Incorrect API key provided: " + sent));
  }
  return handle(endpoint, upload_id, request);
}

template <class Stream>
bool FakeOpenAI::State::serve_request(Stream& stream, beast::flat_buffer& buffer) {
  http::request_parser<http::string_body> parser;
  parser.body_limit(256 * 1024 * 1024);
  beast::error_code ec;
  http::read_header(stream, buffer, parser, ec);
  if (ec) return false;
  Request seen;
  seen.target = std::string(parser.get().target());
  seen.authorized = parser.get()[http::field::authorization] == "Bearer " + options.api_key;
  auto [endpoint, upload_id] = classify(seen.target);
  seen.endpoint = endpoint;
  std::optional<std::pair<Fault, int>> fault = take_fault(endpoint);
  if (fault && fault->first == Fault::kNone) fault.reset();
  auto record = [&] {
    std::lock_guard lock(mutex);
    requests.push_back(seen);
  };
  if (fault && fault->first == Fault::kDropMidBody) {
    record();
    return false;
  }
  http::read(stream, buffer, parser, ec);
  if (ec) return false;
  if (fault && fault->first == Fault::kDrop) {
    record();
    return false;
  }
  http::response<http::string_body> response;
  if (fault && fault->first == Fault::kHostileAnswer) {
    response = json_response(http::status::ok, R"({"id":"../../admin\nSet-Cookie: x","object":"file"})");
  } else if (fault) {
    bool too_many = fault->first == Fault::kTooManyRequests;
    response = json_response(too_many ? http::status::too_many_requests : http::status::internal_server_error,
                             error_json(too_many ? "Rate limit reached" : "The server had an error"));
    if (too_many) response.set(http::field::retry_after, std::to_string(fault->second));
  } else {
    response = answer(parser.get(), seen);
  }
  seen.status = static_cast<int>(response.result_int());
  record();
  http::write(stream, response, ec);
  return !ec;
}

template <class Stream>
void FakeOpenAI::State::serve_connection(Stream& stream) {
  beast::flat_buffer buffer;
  while (!stopping && serve_request(stream, buffer)) {
  }
}

void FakeOpenAI::State::serve() {
  while (!stopping) {
    tcp::socket socket(ioc);
    beast::error_code ec;
    acceptor.accept(socket, ec);
    if (ec || stopping) continue;
    {
      std::lock_guard lock(mutex);
      ++connections;
    }
    if (options.tls.cert.empty()) {
      serve_connection(socket);
      continue;
    }
    beast::ssl_stream<tcp::socket> stream(std::move(socket), tls);
    stream.handshake(ssl::stream_base::server, ec);
    if (!ec) serve_connection(stream);
  }
}

FakeOpenAI::FakeOpenAI(Options options) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.options = std::move(options);
  if (!s.options.tls.cert.empty()) {
    s.tls.use_certificate_chain(net::buffer(s.options.tls.cert));
    s.tls.use_private_key(net::buffer(s.options.tls.key), ssl::context::pem);
  }
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
  s.acceptor.open(endpoint.protocol());
  s.acceptor.set_option(tcp::acceptor::reuse_address(true));
  s.acceptor.bind(endpoint);
  s.acceptor.listen();
  s.port = s.acceptor.local_endpoint().port();
  s.thread = std::thread([&s] { s.serve(); });
}

FakeOpenAI::~FakeOpenAI() {
  State& s = *state_;
  s.stopping = true;
  // Wakes the blocking accept() with a connection of our own.
  net::io_context ioc;
  tcp::socket wake(ioc);
  beast::error_code ignored;
  wake.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), s.port), ignored);
  wake.close(ignored);
  s.thread.join();
}

std::string FakeOpenAI::base_url(const std::string& host) const {
  return std::string(state_->options.tls.cert.empty() ? "http://" : "https://") + host + ":" +
         std::to_string(state_->port) + "/v1";
}

void FakeOpenAI::inject(const std::string& endpoint, Fault fault, int retry_after_seconds) {
  std::lock_guard lock(state_->mutex);
  state_->faults[endpoint].push_back({fault, retry_after_seconds});
}

std::vector<FakeOpenAI::Request> FakeOpenAI::requests() const {
  std::lock_guard lock(state_->mutex);
  return state_->requests;
}

std::map<std::string, FakeOpenAI::File> FakeOpenAI::files() const {
  std::lock_guard lock(state_->mutex);
  return state_->files;
}

std::vector<std::string> FakeOpenAI::cancelled_uploads() const {
  std::lock_guard lock(state_->mutex);
  return state_->cancelled;
}

int FakeOpenAI::connections() const {
  std::lock_guard lock(state_->mutex);
  return state_->connections;
}

}  // namespace airlock::test
