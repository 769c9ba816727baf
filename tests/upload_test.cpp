// airlock upload: runs of the binary against a fake Files/Uploads API on a
// thread of this process (HTTPS with certificates made here), checking what
// the service received byte for byte, that every reason to refuse sends
// nothing, that retries recover, and that the API key is never printed.
#include "upload/upload.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>

#include "audit/audit.h"
#include "crypto/signing.h"
#include "fake_openai.h"
#include "test_util.h"
#include "upload/internal.h"

using namespace airlock;
using test::FakeOpenAI;
using test::read_file;
using test::run_airlock;
using test::TempDir;
using test::write_file;
namespace fs = std::filesystem;

namespace {

const std::string kApiKey = "sk-test-upload-key-5f2a9c";

// `count` chat records of the same length each (kRecordSize bytes), with
// nothing a policy acts on: the clean output is the input, byte for byte.
constexpr size_t kRecordSize = 113;
constexpr size_t kUploadSize = 64 * kRecordSize;  // the Uploads API test's 7232 bytes
std::string records(size_t count) {
  std::string text;
  char line[128];
  for (size_t i = 0; i < count; ++i) {
    std::snprintf(
        line, sizeof line,
        R"({"messages":[{"role":"user","content":"question %06zu about the invoice"},{"role":"assistant","content":"ok"}]})"
        "\n",
        i);
    text += line;
  }
  REQUIRE(text.size() == count * kRecordSize);
  return text;
}

std::string first_word_after(const std::string& text, const std::string& marker) {
  std::string rest = text.substr(text.find(marker));
  return rest.substr(0, rest.find_first_of(" \n"));
}

// Keys, a CA, and run folders made by `airlock run --signing-key`.
struct Workspace {
  TempDir dir;
  test::TestPki pki;
  std::string identity = dir / "id.txt", recipient;
  std::string signing_key = dir / "sign.key", public_key;
  std::string api_key_file = dir / "api-key.txt";
  std::string ca_file = dir / "ca.pem";

  Workspace() {
    auto made = run_airlock({"keygen", "-o", identity});
    REQUIRE(made.exit_code == 0);
    recipient = first_word_after(made.out, "age1");
    auto signing = run_airlock({"keygen", "--signing", "-o", signing_key});
    REQUIRE(signing.exit_code == 0);
    public_key = first_word_after(signing.out, "ed25519:");
    write_file(api_key_file, kApiKey + "\n");
    ::chmod(api_key_file.c_str(), 0600);
    write_file(ca_file, pki.ca_cert());
  }

  // A run over `input`; `extra` adds options (a policy, no signing key...).
  std::string run(const std::string& name, const std::string& input, std::vector<std::string> extra = {},
                  bool sign = true, int expected_exit = 0) {
    write_file(dir / (name + ".jsonl"), input);
    std::vector<std::string> args = {"run", dir / (name + ".jsonl"), "-o", dir / name, "-r", recipient, "-q"};
    if (sign) args.insert(args.end(), {"--signing-key", signing_key});
    args.insert(args.end(), extra.begin(), extra.end());
    auto result = run_airlock(args);
    INFO(result.err);
    REQUIRE(result.exit_code == expected_exit);
    return dir / name;
  }

  test::ProcessResult upload(const std::string& run_dir, const std::string& base_url,
                             std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"upload",          run_dir,  "-i",        identity, "--public-key",   public_key,
                                     "--base-url",      base_url, "--ca-file", ca_file,  "--api-key-file", api_key_file,
                                     "--retry-base-ms", "10"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_airlock(args);
  }

  FakeOpenAI::Options server_for(const std::string& alt_names) { return {pki.issue(alt_names), kApiKey}; }
};

const std::string kLocalNames = "DNS:localhost,IP:127.0.0.1";

size_t count_requests(const FakeOpenAI& server, const std::string& endpoint) {
  size_t n = 0;
  for (const auto& request : server.requests()) n += request.endpoint == endpoint;
  return n;
}

void check_key_not_shown(const test::ProcessResult& result, const std::string& run_dir) {
  CHECK(result.out.find(kApiKey) == std::string::npos);
  CHECK(result.err.find(kApiKey) == std::string::npos);
  CHECK(read_file(run_dir + "/" + upload::kReceiptsFile).find(kApiKey) == std::string::npos);
}

// Changes the first character after `marker` in the file (to another
// base64 and hex digit); returns the new content.
std::string change_char_after(const std::string& path, const std::string& marker) {
  std::string text = read_file(path);
  size_t at = text.find(marker) + marker.size();
  text[at] = text[at] == 'a' ? 'b' : 'a';
  write_file(path, text);
  return text;
}

// Nothing of the data, not even a request, reached the service.
void check_nothing_sent(const FakeOpenAI& server) {
  CHECK(server.requests().empty());
  CHECK(server.files().empty());
}

}  // namespace

TEST_CASE("a verified run goes to the Files API byte for byte, with a signed receipt", "[upload]") {
  Workspace ws;
  std::string input = records(200);
  std::string run = ws.run("run", input);
  FakeOpenAI server(ws.server_for(kLocalNames));

  auto result = ws.upload(run, server.base_url(), {"--signing-key", ws.signing_key});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  auto files = server.files();
  REQUIRE(files.size() == 1);
  const auto& [id, file] = *files.begin();
  CHECK(result.out == id + "\n");
  CHECK(file.bytes == input);
  CHECK(file.purpose == "fine-tune");
  CHECK(file.filename == "run.jsonl");
  CHECK(file.via == "files");
  REQUIRE(server.requests().size() == 1);
  CHECK(server.requests()[0].authorized);
  check_key_not_shown(result, run);

  // The receipt: one signed line naming the endpoint, the id and the digest.
  auto receipts = test::split_lines(read_file(run + "/" + upload::kReceiptsFile));
  REQUIRE(receipts.size() == 1);
  CHECK_THAT(receipts[0], Catch::Contains("\"endpoint\":\"" + server.base_url() + "/files\"") &&
                              Catch::Contains("\"file_id\":\"" + id + "\"") &&
                              Catch::Contains("\"bytes\":" + std::to_string(input.size())) &&
                              Catch::Contains("\"api\":\"files\""));
  Result<std::string> raw_key = crypto::parse_public_key(ws.public_key, "key");
  REQUIRE(raw_key.ok());
  CHECK(upload::verify_receipt_line(receipts[0], raw_key.value()));
  std::string forged = receipts[0];
  forged.replace(forged.find(id), id.size(), "file-999");
  CHECK_FALSE(upload::verify_receipt_line(forged, raw_key.value()));

  // An upload leaves the run verifiable: uploads.jsonl is not part of it.
  CHECK(run_airlock({"audit", "verify", run, "--public-key", ws.public_key}).exit_code == 0);

  SECTION("by IP address, with the key from OPENAI_API_KEY, unsigned receipt") {
    ::setenv("OPENAI_API_KEY", kApiKey.c_str(), 1);
    auto again = run_airlock({"upload", run, "-i", ws.identity, "--public-key", ws.public_key, "--base-url",
                              server.base_url("127.0.0.1"), "--ca-file", ws.ca_file});
    ::unsetenv("OPENAI_API_KEY");
    INFO(again.err);
    REQUIRE(again.exit_code == 0);
    CHECK(server.files().size() == 2);
    receipts = test::split_lines(read_file(run + "/" + upload::kReceiptsFile));
    REQUIRE(receipts.size() == 2);
    CHECK(receipts[1].find("\"signature\"") == std::string::npos);
    check_key_not_shown(again, run);
  }
}

TEST_CASE("above the Files API limit the Uploads API sends parts and completes with the MD5", "[upload]") {
  // Parts of: a size that divides the file exactly, one that leaves a short
  // last part, the file's size, one byte less and one more.
  auto [part_size, parts] = GENERATE(table<size_t, size_t>(
      {{kRecordSize * 16, 4}, {1000, 8}, {kUploadSize, 1}, {kUploadSize - 1, 2}, {kUploadSize + 1, 1}}));
  Workspace ws;
  std::string input = records(kUploadSize / kRecordSize);
  std::string run = ws.run("big", input);
  FakeOpenAI server(ws.server_for(kLocalNames));
  auto result =
      ws.upload(run, server.base_url(), {"--files-api-limit", "1K", "--part-size", std::to_string(part_size)});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  auto files = server.files();
  REQUIRE(files.size() == 1);
  CHECK(files.begin()->second.bytes == input);
  CHECK(files.begin()->second.via == "uploads");
  CHECK(result.out == files.begin()->first + "\n");
  CHECK(count_requests(server, "uploads") == 1);
  CHECK(count_requests(server, "parts") == parts);
  CHECK(count_requests(server, "complete") == 1);
  CHECK_THAT(read_file(run + "/" + upload::kReceiptsFile), Catch::Contains("\"api\":\"uploads\""));
}

TEST_CASE("429 with Retry-After, 500 and dropped connections are retried", "[upload]") {
  Workspace ws;
  std::string input = records(120);
  std::string run = ws.run("run", input);
  FakeOpenAI server(ws.server_for(kLocalNames));

  SECTION("Files API: the whole request again, after the server's Retry-After") {
    server.inject("files", FakeOpenAI::Fault::kTooManyRequests, 1);
    server.inject("files", FakeOpenAI::Fault::kServerError);
    server.inject("files", FakeOpenAI::Fault::kDrop);
    server.inject("files", FakeOpenAI::Fault::kDropMidBody);
    auto start = std::chrono::steady_clock::now();
    auto result = ws.upload(run, server.base_url());
    auto elapsed = std::chrono::steady_clock::now() - start;
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(elapsed >= std::chrono::seconds(1));  // Retry-After: 1 was honoured
    CHECK(count_requests(server, "files") == 5);
    REQUIRE(server.files().size() == 1);
    CHECK(server.files().begin()->second.bytes == input);
    CHECK_THAT(result.err, Catch::Contains("HTTP 429") && Catch::Contains("HTTP 500") &&
                               Catch::Contains("connection lost") && Catch::Contains("attempt 5 of 5"));
  }
  SECTION("Uploads API: a failed part is sent again, the acknowledged ones are not") {
    server.inject("uploads", FakeOpenAI::Fault::kServerError);
    server.inject("parts", FakeOpenAI::Fault::kDropMidBody);
    server.inject("parts", FakeOpenAI::Fault::kServerError);
    server.inject("complete", FakeOpenAI::Fault::kDrop);
    auto result = ws.upload(run, server.base_url(), {"--files-api-limit", "1K", "--part-size", "4K"});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    size_t parts = (input.size() + 4095) / 4096;
    CHECK(count_requests(server, "parts") == parts + 2);
    CHECK(count_requests(server, "uploads") == 2);
    REQUIRE(server.files().size() == 1);
    CHECK(server.files().begin()->second.bytes == input);
  }
  SECTION("after --max-attempts the command gives up; the same command resumes the upload") {
    // The first part meets three 500s.
    for (int i = 0; i < 3; ++i) server.inject("parts", FakeOpenAI::Fault::kServerError);
    std::vector<std::string> options = {"--files-api-limit", "1K", "--part-size", "4K", "--max-attempts", "3"};
    auto result = ws.upload(run, server.base_url(), options);
    CHECK(result.exit_code == 3);
    CHECK_THAT(result.err, Catch::Contains(server.base_url() + "/uploads/") && Catch::Contains("HTTP 500") &&
                               Catch::Contains("gave up after 3 attempts") &&
                               Catch::Contains("kept after 0 acknowledged parts"));
    CHECK(server.files().empty());
    CHECK(server.cancelled_uploads().empty());
    CHECK_FALSE(test::exists(run + "/" + upload::kReceiptsFile));
    REQUIRE(test::exists(run + "/" + upload::kUploadStateFile));

    auto resumed = ws.upload(run, server.base_url(), options);
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK_THAT(resumed.err, Catch::Contains("resuming upload"));
    CHECK(count_requests(server, "uploads") == 1);  // the same upload, not a new one
    REQUIRE(server.files().size() == 1);
    CHECK(server.files().begin()->second.bytes == input);
    CHECK_FALSE(test::exists(run + "/" + upload::kUploadStateFile));
  }
  SECTION("a transfer stopped after some parts resumes at the first part not acknowledged") {
    size_t parts = (input.size() + 4095) / 4096;
    REQUIRE(parts >= 3);
    std::vector<std::string> options = {"--files-api-limit", "1K", "--part-size", "4K", "--max-attempts", "1"};
    server.inject("parts", FakeOpenAI::Fault::kNone);
    server.inject("parts", FakeOpenAI::Fault::kNone);
    server.inject("parts", FakeOpenAI::Fault::kDropMidBody);
    auto result = ws.upload(run, server.base_url(), options);
    CHECK(result.exit_code == 3);
    CHECK_THAT(result.err, Catch::Contains("kept after 2 acknowledged parts"));
    auto resumed = ws.upload(run, server.base_url(), options);
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK(count_requests(server, "parts") == parts + 1);  // parts 1 and 2 went once
    REQUIRE(server.files().size() == 1);
    CHECK(server.files().begin()->second.bytes == input);
  }
  SECTION("a transfer whose /complete failed sends only /complete again") {
    size_t parts = (input.size() + 4095) / 4096;
    std::vector<std::string> options = {"--files-api-limit", "1K", "--part-size", "4K", "--max-attempts", "1"};
    server.inject("complete", FakeOpenAI::Fault::kDrop);
    auto result = ws.upload(run, server.base_url(), options);
    CHECK(result.exit_code == 3);
    CHECK_THAT(result.err, Catch::Contains("kept after " + std::to_string(parts) + " acknowledged parts"));
    auto resumed = ws.upload(run, server.base_url(), options);
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK(count_requests(server, "parts") == parts);
    CHECK(count_requests(server, "complete") == 2);
    REQUIRE(server.files().size() == 1);
    CHECK(server.files().begin()->second.bytes == input);
  }
  SECTION("a final answer of the service cancels the upload") {
    server.inject("complete", FakeOpenAI::Fault::kHostileAnswer);
    auto result = ws.upload(run, server.base_url(), {"--files-api-limit", "1K", "--part-size", "4K"});
    CHECK(result.exit_code == 3);
    CHECK_THAT(result.err, Catch::Contains("/complete: the answer has no file") && Catch::Contains("cancelled"));
    CHECK(server.cancelled_uploads().size() == 1);
    CHECK_FALSE(test::exists(run + "/" + upload::kUploadStateFile));
  }
}

TEST_CASE("a run that must not leave sends nothing", "[upload]") {
  Workspace ws;
  std::string input = records(50);
  std::string run = ws.run("run", input);
  FakeOpenAI server(ws.server_for(kLocalNames));
  auto copy = [&](const std::string& name) {
    std::string path = ws.dir / name;
    fs::copy(run, path, fs::copy_options::recursive);
    return path;
  };
  test::ProcessResult result;
  int expected_exit = 1;
  std::string expected_message;

  SECTION("a changed signature") {
    std::string bad = copy("bad-sig");
    change_char_after(bad + "/manifest.sig", "\"signature\":\"");
    result = ws.upload(bad, server.base_url());
    expected_message = "the signature does not match";
  }
  SECTION("a changed manifest") {
    std::string bad = copy("bad-manifest");
    std::string manifest = read_file(bad + "/manifest.json");
    manifest.replace(manifest.find("\"records\":50"), 12, "\"records\":49");
    write_file(bad + "/manifest.json", manifest);
    result = ws.upload(bad, server.base_url());
    expected_message = "does not verify";
  }
  SECTION("signed by another key than the one given") {
    REQUIRE(run_airlock({"keygen", "--signing", "-o", ws.dir / "other.key"}).exit_code == 0);
    result = run_airlock({"upload", run, "-i", ws.identity, "--public-key", ws.dir / "other.key", "--base-url",
                          server.base_url(), "--ca-file", ws.ca_file, "--api-key-file", ws.api_key_file});
    expected_message = "signed by another key";
  }
  SECTION("an unsigned run") {
    std::string unsigned_run = ws.run("unsigned", input, {}, false);
    result = ws.upload(unsigned_run, server.base_url());
    expected_message = "unsigned";
  }
  SECTION("a run whose verdict is fail") {
    write_file(ws.dir / "strict.yaml",
               "policy: strict\nversion: \"1\"\nextends: " + std::string(AIRLOCK_SOURCE_DIR) +
                   "/policies/fine-tune-upload.yaml\ngate:\n  max_findings:\n    EMAIL_ADDRESS: 0\n");
    std::string with_email = input + R"({"messages":[{"role":"user","content":"write to ana.lima@example.com"}]})"
                                     "\n";
    std::string failed = ws.run("failed", with_email, {"--policy", ws.dir / "strict.yaml"}, true, 1);
    result = ws.upload(failed, server.base_url());
    expected_message = "verdict is fail";
  }
  SECTION("a clean output replaced by another encryption of the same data") {
    std::string bad = copy("resealed");
    auto opened = run_airlock({"open", "-i", ws.identity, bad + "/clean.jsonl.age"});
    REQUIRE(opened.out == input);
    fs::remove(bad + "/clean.jsonl.age");
    REQUIRE(run_airlock({"seal", "-r", ws.recipient, "-o", bad + "/clean.jsonl.age"}, input).exit_code == 0);
    result = ws.upload(bad, server.base_url());
    expected_message = "clean.jsonl.age: SHA-256 differs from the manifest";
  }
  SECTION("a signed manifest whose plaintext digest the clean output does not match") {
    std::string bad = copy("wrong-plaintext");
    std::string manifest = change_char_after(bad + "/manifest.json", "\"plaintext_sha256\":\"");
    Result<crypto::SigningKey> key = crypto::SigningKey::parse(read_file(ws.signing_key), "sign.key");
    REQUIRE(key.ok());
    Result<std::string> sig = audit::sign_manifest(key.value(), manifest);
    REQUIRE(sig.ok());
    write_file(bad + "/manifest.sig", sig.value());
    REQUIRE(run_airlock({"audit", "verify", bad, "--public-key", ws.public_key}).exit_code == 0);
    result = ws.upload(bad, server.base_url());
    expected_message = "SHA-256 differs from the manifest's plaintext_sha256";
  }
  SECTION("an identity that does not open the clean output") {
    REQUIRE(run_airlock({"keygen", "-o", ws.dir / "other-id.txt"}).exit_code == 0);
    result = run_airlock({"upload", run, "-i", ws.dir / "other-id.txt", "--public-key", ws.public_key, "--base-url",
                          server.base_url(), "--ca-file", ws.ca_file, "--api-key-file", ws.api_key_file});
    expected_message = "clean.jsonl.age";
  }
  SECTION("a server certificate the system's CA store does not know") {
    result = run_airlock({"upload", run, "-i", ws.identity, "--public-key", ws.public_key, "--base-url",
                          server.base_url(), "--api-key-file", ws.api_key_file, "--max-attempts", "1"});
    expected_exit = 3;
    expected_message = "certificate was refused";
  }
  SECTION("a self-signed server certificate") {
    FakeOpenAI self_signed({test::TestPki::self_signed(kLocalNames), kApiKey});
    result = ws.upload(run, self_signed.base_url());
    check_nothing_sent(self_signed);
    CHECK(self_signed.connections() >= 1);
    expected_exit = 3;
    expected_message = "certificate was refused";
  }
  SECTION("a certificate for another host name") {
    FakeOpenAI other_name(ws.server_for("DNS:files.example.org"));
    result = ws.upload(run, other_name.base_url());
    check_nothing_sent(other_name);
    expected_exit = 3;
    expected_message = "hostname mismatch";
  }
  SECTION("a certificate for another IP address") {
    FakeOpenAI other_ip(ws.server_for("DNS:localhost,IP:127.0.0.2"));
    result = ws.upload(run, other_ip.base_url("127.0.0.1"));
    check_nothing_sent(other_ip);
    expected_exit = 3;
    expected_message = "IP address mismatch";
  }
  SECTION("plain http without --allow-insecure-loopback") {
    FakeOpenAI plain({{}, kApiKey});
    result = ws.upload(run, plain.base_url("127.0.0.1"));
    check_nothing_sent(plain);
    CHECK(plain.connections() == 0);
    expected_exit = 2;
    expected_message = "plain http is refused";
  }
  SECTION("plain http to a host that is not loopback, even with the flag") {
    result = ws.upload(run, "http://files.example.org/v1", {"--allow-insecure-loopback"});
    expected_exit = 2;
    expected_message = "use https";
  }
  INFO(result.err);
  CHECK(result.exit_code == expected_exit);
  CHECK_THAT(result.err, Catch::Contains(expected_message));
  CHECK(result.out.empty());
  check_nothing_sent(server);
  check_key_not_shown(result, run);
}

// The send path checks the plaintext again as it streams: here the verified
// digest is made wrong after verification (as if the file had been swapped
// for one that decrypts to other data), in process.
TEST_CASE("a plaintext that fails its check while being sent never completes a request", "[upload]") {
  Workspace ws;
  std::string input = records(64);
  std::string run_dir = ws.run("run", input);
  Result<std::string> public_key = crypto::parse_public_key(ws.public_key, "key");
  REQUIRE(public_key.ok());
  Result<std::vector<crypto::Identity>> identities = crypto::parse_identity_file(read_file(ws.identity), "id.txt");
  REQUIRE(identities.ok());
  Result<upload::VerifiedRun> run = upload::verify_for_upload(run_dir, public_key.value(), identities.value());
  REQUIRE(run.ok());
  run->plaintext_sha256[0] = run->plaintext_sha256[0] == 'a' ? 'b' : 'a';

  FakeOpenAI server(ws.server_for(kLocalNames));
  upload::ApiOptions options;
  options.base_url = server.base_url();
  options.ca_file = ws.ca_file;
  options.retry.base = std::chrono::milliseconds(1);
  crypto::SecretBytes key{std::string_view(kApiKey)};
  SECTION("Files API: the connection closes before the body is whole") {
    Result<upload::Receipt> sent = upload::send_to_api(run.value(), options, key);
    REQUIRE_FALSE(sent.ok());
    CHECK(sent.error().kind == ErrorKind::kRefused);
    CHECK_THAT(sent.error().message, Catch::Contains("differs from the manifest's plaintext_sha256"));
    CHECK(server.requests().empty());  // no request was ever complete
  }
  SECTION("Uploads API: the parts before the end are sent, /complete never is") {
    options.files_api_limit = 1024;
    options.part_size = 4096;
    Result<upload::Receipt> sent = upload::send_to_api(run.value(), options, key);
    REQUIRE_FALSE(sent.ok());
    CHECK(sent.error().kind == ErrorKind::kRefused);
    CHECK(count_requests(server, "parts") == 1);
    CHECK(count_requests(server, "complete") == 0);
    CHECK(server.cancelled_uploads().size() == 1);
  }
  CHECK(server.files().empty());
}

TEST_CASE("an answer whose id is not a plain id is refused, not printed", "[upload]") {
  Workspace ws;
  std::string run = ws.run("run", records(10));
  FakeOpenAI server(ws.server_for(kLocalNames));
  server.inject("files", FakeOpenAI::Fault::kHostileAnswer);
  auto result = ws.upload(run, server.base_url());
  CHECK(result.exit_code == 3);
  CHECK_THAT(result.err, Catch::Contains(server.base_url() + "/files: the answer's id is not a plain id"));
  CHECK(result.err.find("admin") == std::string::npos);
  CHECK(result.out.empty());
  CHECK_FALSE(test::exists(run + "/" + upload::kReceiptsFile));
}

TEST_CASE("plain http reaches a loopback server with --allow-insecure-loopback", "[upload]") {
  Workspace ws;
  std::string input = records(10);
  std::string run = ws.run("run", input);
  FakeOpenAI plain({{}, kApiKey});
  auto result = ws.upload(run, plain.base_url("127.0.0.1"), {"--allow-insecure-loopback"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(plain.files().size() == 1);
  CHECK(plain.files().begin()->second.bytes == input);
}

TEST_CASE("the API key never appears in output or errors, even when the service echoes it", "[upload]") {
  Workspace ws;
  std::string run = ws.run("run", records(10));
  FakeOpenAI server({ws.pki.issue(kLocalNames), "sk-the-key-the-service-expects"});
  auto result = ws.upload(run, server.base_url());
  CHECK(result.exit_code == 3);
  CHECK_THAT(result.err,
             Catch::Contains("HTTP 401") && Catch::Contains("Incorrect API key provided: Bearer [API key]"));
  check_key_not_shown(result, run);
  REQUIRE(server.requests().size() == 1);
  CHECK_FALSE(server.requests()[0].authorized);
  CHECK(server.files().empty());

  SECTION("a key that cannot go into a header is refused without being quoted") {
    write_file(ws.api_key_file, "sk-with space\n");
    auto bad = ws.upload(run, server.base_url());
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.err, Catch::Contains("cannot go into an HTTP header"));
    CHECK(bad.err.find("sk-with") == std::string::npos);
  }
}

TEST_CASE("an outbox folder (--target dir:PATH) gets the verified plaintext, once", "[upload]") {
  Workspace ws;
  std::string input = records(30);
  std::string run = ws.run("run", input);
  fs::create_directory(ws.dir / "outbox");
  auto result = run_airlock({"upload", run, "-i", ws.identity, "--public-key", ws.public_key, "--target",
                             "dir:" + ws.dir / "outbox", "--signing-key", ws.signing_key});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out == "run.jsonl\n");
  std::string written = ws.dir / "outbox/run.jsonl";
  CHECK(read_file(written) == input);
  struct stat st {};
  REQUIRE(::stat(written.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(fs::directory_iterator(ws.dir / "outbox") != fs::directory_iterator());
  CHECK_THAT(read_file(run + "/" + upload::kReceiptsFile),
             Catch::Contains("\"api\":\"outbox\"") && Catch::Contains("\"endpoint\":\"dir:" + ws.dir / "outbox\""));

  // Never over an earlier delivery; a refused run writes nothing.
  auto again = run_airlock(
      {"upload", run, "-i", ws.identity, "--public-key", ws.public_key, "--target", "dir:" + ws.dir / "outbox"});
  CHECK(again.exit_code == 3);
  CHECK(read_file(written) == input);
  fs::create_directory(ws.dir / "outbox2");
  REQUIRE(run_airlock({"keygen", "--signing", "-o", ws.dir / "other.key"}).exit_code == 0);
  auto refused = run_airlock({"upload", run, "-i", ws.identity, "--public-key", ws.dir / "other.key", "--target",
                              "dir:" + ws.dir / "outbox2"});
  CHECK(refused.exit_code == 1);
  CHECK(fs::is_empty(ws.dir / "outbox2"));
}

TEST_CASE("a service's messages are shown masked, cleaned and short", "[upload]") {
  std::string key = "sk-abc";
  CHECK(upload::service_message(R"({"error":{"message":"bad key sk-abc, see sk-abc"}})", key) ==
        "bad key [API key], see [API key]");
  CHECK(upload::service_message("plain\r\ntext sk-abc", key) == "plain  text [API key]");
  // A key that occurs in the mask itself, or a one-letter key, ends.
  CHECK(upload::service_message("API key", "A") == "[API key]PI key");
  CHECK(upload::service_message("a", "[API key]") == "a");
  std::string long_body(5000, 'x');
  CHECK(upload::service_message(long_body + key, key).size() == 303);
  CHECK(upload::service_message(std::string(299, 'y') + key, key).find("sk-") == std::string::npos);

  CHECK(upload::answer_id(R"({"id":"file-1"})", {"id"}, "u").value() == "file-1");
  CHECK(upload::answer_id(R"({"file":{"id":"file-2"}})", {"file", "id"}, "u").value() == "file-2");
  for (std::string_view bad : {R"({"id":"../x"})", R"({"id":""})", R"({"id":7})", "not json", R"({"file":{}})"}) {
    INFO(bad);
    Result<std::string> id = upload::answer_id(bad, {"file", "id"}, "https://x/v1/files");
    REQUIRE_FALSE(id.ok());
    CHECK(id.error().kind == ErrorKind::kInput);
  }
}

TEST_CASE("base URLs: schemes, ports, IPv6, loopback", "[upload]") {
  Result<upload::Url> url = upload::parse_url("https://api.openai.com/v1/");
  REQUIRE(url.ok());
  CHECK(url->tls);
  CHECK(url->host == "api.openai.com");
  CHECK(url->port == "443");
  CHECK(url->path == "/v1");
  CHECK(url->text() == "https://api.openai.com/v1");
  url = upload::parse_url("http://[::1]:8080");
  REQUIRE(url.ok());
  CHECK(url->host == "::1");
  CHECK(url->port == "8080");
  CHECK(url->path.empty());
  CHECK(url->is_loopback());
  CHECK(url->text() == "http://[::1]:8080");
  for (const char* loopback : {"http://localhost/v1", "http://127.0.0.1:1/v1", "http://127.1.2.3/"}) {
    INFO(loopback);
    CHECK(upload::parse_url(loopback)->is_loopback());
    CHECK(upload::check_transport(upload::parse_url(loopback).value(), true).ok());
    CHECK_FALSE(upload::check_transport(upload::parse_url(loopback).value(), false).ok());
  }
  for (const char* remote : {"http://10.0.0.1/v1", "http://localhost.example.org/", "http://[::2]/"}) {
    INFO(remote);
    CHECK_FALSE(upload::parse_url(remote)->is_loopback());
    CHECK_FALSE(upload::check_transport(upload::parse_url(remote).value(), true).ok());
  }
  for (const char* bad : {"ftp://x/v1", "https://", "https://user@host/v1", "https://host/v1?x=1", "https://host:0/",
                          "https://host:99999/", "https://[::1/", "https://ho st/"}) {
    INFO(bad);
    CHECK_FALSE(upload::parse_url(bad).ok());
  }
}

TEST_CASE("usage errors say what is missing, before any check of the run", "[upload]") {
  Workspace ws;
  std::string run = ws.run("run", records(5));
  ::unsetenv("OPENAI_API_KEY");
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<Case> cases = {
      {{"upload", run, "--public-key", ws.public_key}, "no identity"},
      {{"upload", run, "-i", ws.identity}, "--public-key KEY is required"},
      {{"upload", run, "-i", ws.identity, "--public-key", ws.public_key}, "no API key"},
      {{"upload", run, "-i", ws.identity, "--public-key", ws.public_key, "--target", "s3:bucket"}, "dir:PATH"},
      {{"upload", run, "-i", ws.identity, "--public-key", ws.public_key, "--target", "dir:" + ws.dir / "out",
        "--base-url", "https://example.org/v1"},
       "--base-url does not go with --target"},
      {{"upload", run, "-i", ws.identity, "--public-key", ws.public_key, "--api-key-file", ws.api_key_file,
        "--part-size", "65M"},
       "--part-size must be from 1 byte to 64M"},
      {{"upload", run, "-i", ws.identity, "--public-key", ws.public_key, "--api-key-file", ws.api_key_file,
        "--base-url", "ftp://example.org"},
       "not an http:// or https:// URL"},
      {{"upload", run, ws.dir / "second", "-i", ws.identity, "--public-key", ws.public_key}, "one run folder"},
      {{"upload", run, "-i", ws.identity, "--public-key", ws.public_key, "--api-key-file", ws.api_key_file, "--purpose",
        "fine-tune\r\n--x"},
       "letters, digits, - and _ only"},
  };
  for (const Case& c : cases) {
    auto result = run_airlock(c.args);
    INFO(c.message);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains(c.message));
  }
  CHECK_FALSE(test::exists(run + "/" + upload::kReceiptsFile));
}
