// The HTTP/1.1 client of upload, on Boost.Beast over Asio and OpenSSL. The
// only file of the project that includes Beast.
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>

#include "upload/internal.h"

namespace airlock::upload {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr uint64_t kMaxResponseBody = 1 << 20;  // a service's JSON answer; more is hostile

// Runs one asynchronous operation to its end and returns its outcome. Async
// rather than blocking calls, because only asynchronous operations honour
// beast::tcp_stream's timeouts: a silent server must not hang the upload.
template <class Start>
beast::error_code run_one(net::io_context& ioc, Start&& start) {
  beast::error_code result = net::error::operation_aborted;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

bool is_ip_address(const std::string& host) {
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

class BeastClient final : public HttpClient {
 public:
  BeastClient(Url base, ClientOptions options)
      : base_(std::move(base)), options_(std::move(options)), tls_context_(ssl::context::tls_client) {}
  ~BeastClient() override { drop(); }

  Status init() {
    // TLS 1.2 at least; the peer's chain checked against the system's trust
    // store (or --ca-file) and its name checked below, per connection.
    SSL_CTX_set_min_proto_version(tls_context_.native_handle(), TLS1_2_VERSION);
    tls_context_.set_verify_mode(ssl::verify_peer);
    beast::error_code ec;
    if (options_.ca_file.empty()) {
      tls_context_.set_default_verify_paths(ec);
      if (ec) return usage_error("cannot load the system's CA certificates: " + ec.message());
    } else {
      tls_context_.load_verify_file(options_.ca_file, ec);
      if (ec) return usage_error(options_.ca_file + ": cannot load CA certificates: " + ec.message());
    }
    return ok_status();
  }

  Result<Response> post(const std::string& path, std::string_view authorization, std::string_view content_type,
                        uint64_t content_length, const BodyWriter& body) override {
    if (!plain_ && !tls_) {
      if (Status s = connect(); !s.ok()) {
        drop();
        return s.error();
      }
    }
    Request request{base_.path + path, authorization, content_type, content_length, body};
    Result<Response> response = tls_ ? exchange(*tls_, request) : exchange(*plain_, request);
    if (!response.ok()) drop();
    return response;
  }

 private:
  struct Request {
    std::string target;
    std::string_view authorization, content_type;
    uint64_t content_length;
    const BodyWriter& body;
  };

  Error lost(const std::string& doing, const beast::error_code& ec) const {
    return io_error(base_.text() + ": connection lost while " + doing + ": " + ec.message());
  }

  Status connect_tcp(beast::tcp_stream& stream) {
    tcp::resolver resolver(ioc_);
    beast::error_code ec;
    tcp::resolver::results_type endpoints = resolver.resolve(base_.host, base_.port, ec);
    if (ec) return io_error(base_.text() + ": cannot resolve " + base_.host + ": " + ec.message());
    stream.expires_after(options_.timeout);
    ec = run_one(ioc_, [&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
    if (ec) return io_error(base_.text() + ": cannot connect: " + ec.message());
    return ok_status();
  }

  // The name check is OpenSSL's own (X509_VERIFY_PARAM, as
  // ssl::host_name_verification uses), run inside the chain verification so
  // that a mismatch is reported as one: "hostname mismatch".
  void expect_peer_name(SSL* ssl) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (is_ip_address(base_.host)) {
      X509_VERIFY_PARAM_set1_ip_asc(param, base_.host.c_str());
    } else {
      // SNI only for names (RFC 6066 forbids it for addresses).
      SSL_set_tlsext_host_name(ssl, base_.host.c_str());
      X509_VERIFY_PARAM_set1_host(param, base_.host.c_str(), 0);
    }
  }

  Status connect() {
    if (!base_.tls) {
      plain_ = std::make_unique<beast::tcp_stream>(ioc_);
      return connect_tcp(*plain_);
    }
    tls_ = std::make_unique<TlsStream>(ioc_, tls_context_);
    expect_peer_name(tls_->native_handle());
    if (Status s = connect_tcp(beast::get_lowest_layer(*tls_)); !s.ok()) return s;
    beast::get_lowest_layer(*tls_).expires_after(options_.timeout);
    beast::error_code ec =
        run_one(ioc_, [&](auto handler) { tls_->async_handshake(ssl::stream_base::client, std::move(handler)); });
    if (!ec) return ok_status();
    long verify = SSL_get_verify_result(tls_->native_handle());
    if (verify != X509_V_OK) {
      return input_error(base_.text() + ": the server's certificate was refused: " +
                         X509_verify_cert_error_string(verify) + "; nothing was sent");
    }
    if (ec.category() == net::error::get_ssl_category()) {
      return input_error(base_.text() + ": TLS handshake failed: " + ec.message() + "; nothing was sent");
    }
    return lost("setting up TLS", ec);
  }

  void drop() {
    beast::error_code ignored;
    if (tls_) beast::get_lowest_layer(*tls_).socket().close(ignored);
    if (plain_) plain_->socket().close(ignored);
    tls_.reset();
    plain_.reset();
    buffer_.clear();
  }

  std::string host_header() const {
    std::string host = base_.host.find(':') != std::string::npos ? "[" + base_.host + "]" : base_.host;
    bool default_port = base_.port == (base_.tls ? "443" : "80");
    return default_port ? host : host + ":" + base_.port;
  }

  template <class Stream>
  Status send_bytes(Stream& stream, std::string_view bytes) {
    beast::get_lowest_layer(stream).expires_after(options_.timeout);
    beast::error_code ec = run_one(ioc_, [&](auto handler) {
      net::async_write(stream, net::buffer(bytes.data(), bytes.size()), std::move(handler));
    });
    if (ec) return lost("sending the request", ec);
    return ok_status();
  }

  template <class Stream>
  Status send_request(Stream& stream, const Request& r) {
    http::request<http::empty_body> request{http::verb::post, r.target, 11};
    request.set(http::field::host, host_header());
    request.set(http::field::user_agent, "airlock");
    request.set(http::field::accept, "application/json");
    request.set(http::field::authorization, beast::string_view(r.authorization.data(), r.authorization.size()));
    request.set(http::field::content_type, beast::string_view(r.content_type.data(), r.content_type.size()));
    // The length is announced, and the body streamed after the header: no
    // chunked encoding, and nothing held in memory whole.
    request.content_length(r.content_length);
    http::request_serializer<http::empty_body> serializer{request};
    beast::get_lowest_layer(stream).expires_after(options_.timeout);
    beast::error_code ec =
        run_one(ioc_, [&](auto handler) { http::async_write_header(stream, serializer, std::move(handler)); });
    if (ec) return lost("sending the request", ec);
    uint64_t sent = 0;
    Status body = r.body([&](std::string_view bytes) -> Status {
      sent += bytes.size();
      if (sent > r.content_length) return internal_error("a request body longer than its announced length");
      return send_bytes(stream, bytes);
    });
    if (!body.ok()) return body;
    if (sent != r.content_length) return internal_error("a request body shorter than its announced length");
    return ok_status();
  }

  template <class Stream>
  Result<Response> exchange(Stream& stream, const Request& r) {
    Status sent = send_request(stream, r);
    // The body writer's own failure aborts at once: the request must not complete.
    if (!sent.ok() && sent.error().kind != ErrorKind::kIo) return sent.error();
    Result<Response> response = read_response(stream);
    if (sent.ok()) return response;
    // A server may answer before it has read the whole body (401, 413) and
    // close: that answer says more than the broken pipe does.
    if (response.ok() && response->status / 100 != 2) return response;
    return sent.error();
  }

  template <class Stream>
  Result<Response> read_response(Stream& stream) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponseBody);
    beast::get_lowest_layer(stream).expires_after(options_.timeout);
    beast::error_code ec =
        run_one(ioc_, [&](auto handler) { http::async_read(stream, buffer_, parser, std::move(handler)); });
    if (ec) return lost("reading the response", ec);
    http::response<http::string_body>& message = parser.get();
    Response response;
    response.status = static_cast<int>(message.result_int());
    response.body = std::move(message.body());
    auto retry_after = message.find(http::field::retry_after);
    if (retry_after != message.end()) {
      beast::string_view text = retry_after->value();
      uint64_t seconds = 0;
      auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), seconds);
      // Only the delay-seconds form; an HTTP date falls back to backoff.
      if (err == std::errc() && end == text.data() + text.size()) response.retry_after = seconds;
    }
    if (!message.keep_alive()) drop();
    return response;
  }

  Url base_;
  ClientOptions options_;
  net::io_context ioc_;
  ssl::context tls_context_;
  std::unique_ptr<beast::tcp_stream> plain_;
  std::unique_ptr<TlsStream> tls_;
  beast::flat_buffer buffer_;
};

}  // namespace

Result<std::unique_ptr<HttpClient>> HttpClient::create(const Url& base, const ClientOptions& options) {
  if (Status s = check_transport(base, options.allow_insecure_loopback); !s.ok()) return s.error();
  auto client = std::make_unique<BeastClient>(base, options);
  if (Status s = client->init(); !s.ok()) return s.error();
  return std::unique_ptr<HttpClient>(std::move(client));
}

}  // namespace airlock::upload
