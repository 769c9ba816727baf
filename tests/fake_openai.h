// A test double of the OpenAI Files and Uploads APIs: an HTTPS (or plain
// HTTP) server on a loopback port, on its own thread, with certificates
// made at test time. It checks what a real service checks (bearer token,
// multipart framing, declared sizes, the MD5 at /complete), keeps what it
// was sent, and can answer 429 with Retry-After, 500, or drop connections.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace airlock::test {

struct Pem {
  std::string cert;
  std::string key;
};

// A CA and certificates it issues, made with OpenSSL (EC P-256, SHA-256).
class TestPki {
 public:
  TestPki();
  ~TestPki();
  const std::string& ca_cert() const;
  // A server certificate for `alt_names` ("DNS:localhost,IP:127.0.0.1").
  Pem issue(const std::string& alt_names) const;
  // A self-signed certificate no CA vouches for.
  static Pem self_signed(const std::string& alt_names);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

class FakeOpenAI {
 public:
  enum class Fault {
    kNone,             // answered as usual (to let requests through before a fault)
    kTooManyRequests,  // 429 with Retry-After
    kServerError,      // 500
    kDrop,             // the request is read, the connection closed without an answer
    kDropMidBody,      // the connection closed after the request's header
    kHostileAnswer,    // 200 with an id that is no plain id (a path and a newline)
  };
  struct Options {
    Pem tls;  // empty cert: plain HTTP
    std::string api_key = "sk-test-upload-key-5f2a9c";
  };
  struct Request {
    std::string endpoint;  // files, uploads, parts, complete, cancel, other
    std::string target;
    bool authorized = false;
    int status = 0;  // 0: dropped
  };
  struct File {
    std::string bytes, filename, purpose, via;  // via: files or uploads
  };

  explicit FakeOpenAI(Options options);
  ~FakeOpenAI();
  FakeOpenAI(const FakeOpenAI&) = delete;
  FakeOpenAI& operator=(const FakeOpenAI&) = delete;

  // https://HOST:PORT/v1 (http:// without TLS).
  std::string base_url(const std::string& host = "localhost") const;
  // The next request to `endpoint` meets `fault` (queued, in order).
  void inject(const std::string& endpoint, Fault fault, int retry_after_seconds = 1);

  std::vector<Request> requests() const;
  std::map<std::string, File> files() const;  // by file id
  std::vector<std::string> cancelled_uploads() const;
  int connections() const;  // accepted TCP connections, handshake or not

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace airlock::test
