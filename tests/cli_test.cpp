// End to end: the airlock binary on fixtures, checking exit codes, outputs
// and which files exist afterwards.
#include <simdjson.h>
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "test_util.h"

using namespace airlock;
using test::run_airlock;
using test::run_process;
using test::TempDir;

namespace {

const std::string kSample = std::string(AIRLOCK_SOURCE_DIR) + "/fixtures/sample/chat.jsonl";

std::string chat_line(size_t i) {
  return R"({"messages":[{"role":"user","content":"question )" + std::to_string(i) +
         R"("},{"role":"assistant","content":"answer"}]})";
}

// A chat file with bad lines spread through it.
std::string mixed_file(size_t records) {
  std::string text;
  for (size_t i = 0; i < records; ++i) {
    switch (i % 13) {
      case 2:
        text += "{\"messages\":[{\"role\":\"user\",\"content\":\"cut\n";
        break;
      case 4:
        text += "\n";
        break;
      case 6:
        text += "{\"messages\":[{\"role\":\"user\",\"content\":\"\\udc00\"}]}\n";
        break;
      case 8: {
        static const char kNulLine[] = "{\"messages\":[{\"role\":\"user\",\"content\":\"nul \0 byte\"}]}\n";
        text += std::string(kNulLine, sizeof kNulLine - 1);
        break;
      }
      case 10:
        text += "[\"array\"]\n";
        break;
      default:
        text += chat_line(i) + "\n";
    }
  }
  return text;
}

// A key made once for the whole test program: every run encrypts to it.
struct TestKey {
  TempDir dir;
  std::string identity;
  std::string recipient;
};

const TestKey& test_key() {
  static TestKey* key = [] {
    auto* made = new TestKey();
    made->identity = made->dir / "key.txt";
    auto result = run_airlock({"keygen", "-o", made->identity});
    REQUIRE(result.exit_code == 0);
    size_t at = result.out.find("age1");
    REQUIRE(at != std::string::npos);
    made->recipient = result.out.substr(at, result.out.find_first_of("\r\n", at) - at);
    return made;
  }();
  return *key;
}

const std::string kFormatCheck = std::string(AIRLOCK_SOURCE_DIR) + "/policies/format-check.yaml";

// `airlock run ARGS... -r <test key>`, with the format-check policy (no
// detection, no gate) unless ARGS name a policy: these tests are about
// records, formats and outputs; policies have their own below.
test::ProcessResult airlock_run(std::vector<std::string> args, const std::string& input = "") {
  bool has_policy = std::find(args.begin(), args.end(), "--policy") != args.end();
  args.insert(args.begin(), "run");
  args.push_back("-r");
  args.push_back(test_key().recipient);
  if (!has_policy) {
    args.push_back("--policy");
    args.push_back(kFormatCheck);
  }
  return run_airlock(args, input);
}

// An output of a run, decrypted with the test key when it is encrypted.
std::string read_output(const std::string& path) {
  if (path.size() < 4 || path.compare(path.size() - 4, 4, ".age") != 0) return test::read_file(path);
  auto opened = run_airlock({"open", "-i", test_key().identity, path});
  REQUIRE(opened.exit_code == 0);
  return opened.out;
}

struct SummaryTotals {
  uint64_t lines, empty_lines, records, clean, quarantined;
  bool reconciled;
};

SummaryTotals read_totals(const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.load(path);
  simdjson::dom::element t = doc["totals"];
  return {uint64_t(t["lines"]), uint64_t(t["empty_lines"]), uint64_t(t["records"]),
          uint64_t(t["clean"]), uint64_t(t["quarantined"]), bool(t["reconciled"])};
}

bool no_outputs(const TempDir& dir, const std::string& run) {
  std::string path = dir / run;
  if (!std::filesystem::exists(path)) return true;
  return std::filesystem::is_empty(path);  // no final files and no temporary files
}

}  // namespace

TEST_CASE("airlock --help, --version and run --help explain themselves", "[cli]") {
  auto help = run_airlock({"--help"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("Usage: airlock COMMAND") && Catch::Contains("run"));
  auto version = run_airlock({"--version"});
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.out, Catch::StartsWith("airlock 0."));
  auto run_help = run_airlock({"run", "--help"});
  CHECK(run_help.exit_code == 0);
  CHECK_THAT(run_help.out, Catch::Contains("--out DIR") && Catch::Contains("--fields") &&
                               Catch::Contains("--max-line-bytes") && Catch::Contains("Exit status"));
  auto bare = run_airlock({});
  CHECK(bare.exit_code == 2);
}

TEST_CASE("usage errors exit 2 and say what is wrong", "[cli]") {
  TempDir dir;
  auto unknown = airlock_run({kSample, "--out", dir / "r", "--frobnicate"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("unknown option '--frobnicate'") && Catch::Contains("airlock run --help"));
  auto no_out = airlock_run({kSample});
  CHECK(no_out.exit_code == 2);
  CHECK_THAT(no_out.err, Catch::Contains("--out"));
  auto threads = airlock_run({kSample, "-o", dir / "r", "--threads", "0"});
  CHECK(threads.exit_code == 2);
  auto fields = airlock_run({kSample, "-o", dir / "r", "--fields", "content"});
  CHECK(fields.exit_code == 2);
  CHECK_THAT(fields.err, Catch::Contains("must start with '/'"));
  auto size = airlock_run({kSample, "-o", dir / "r", "--max-line-bytes", "12Q"});
  CHECK(size.exit_code == 2);
  auto command = run_airlock({"frob"});
  CHECK(command.exit_code == 2);
  CHECK_THAT(command.err, Catch::Contains("unknown command 'frob'"));
  CHECK(no_outputs(dir, "r"));
}

TEST_CASE("the shipped sample runs: good lines pass unchanged, bad ones are quarantined", "[cli]") {
  TempDir dir;
  auto result = airlock_run({kSample, "--out", dir / "run", "--threads", "2"});
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.err, Catch::Contains("fields: chat") && Catch::Contains("quarantined  5"));

  std::string clean = read_output(dir / "run/clean.jsonl.age");
  for (const std::string& line : test::split_lines(clean)) {
    CHECK(test::read_file(kSample).find(line + "\n") != std::string::npos);  // byte-identical lines
  }
  auto totals = read_totals(dir / "run/summary.json");
  CHECK(totals.records == 12);
  CHECK(totals.clean == 7);
  CHECK(totals.quarantined == 5);
  CHECK(totals.empty_lines == 1);
  CHECK(totals.reconciled);
  auto quarantine = test::split_lines(read_output(dir / "run/quarantine.jsonl.age"));
  REQUIRE(quarantine.size() == 5);
  CHECK_THAT(quarantine[0], Catch::Contains(R"("line":4,"reasons":[{"code":"invalid_json")"));

  struct stat st {};
  for (const char* name : {"clean.jsonl.age", "quarantine.jsonl.age", "summary.json", "audit.jsonl", "audit-key.age",
                           "manifest.json", "report.json", "report.html"}) {
    REQUIRE(::stat((dir / "run/" + name).c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }
  REQUIRE(::stat((dir / "run").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
}

TEST_CASE("output is byte-identical for 1, 2 and 8 threads", "[cli]") {
  TempDir dir;
  test::write_file(dir / "in.jsonl", mixed_file(5000));
  std::string reference_clean, reference_quarantine;
  for (std::string threads : {"1", "2", "8"}) {
    std::string run = dir / ("run" + threads);
    auto result = airlock_run({dir / "in.jsonl", "-o", run, "-j", threads, "--batch-bytes", "4K", "-q"});
    REQUIRE(result.exit_code == 0);
    CHECK(result.err.empty());  // --quiet
    std::string clean = read_output(run + "/clean.jsonl.age");
    std::string quarantine = read_output(run + "/quarantine.jsonl.age");
    if (reference_clean.empty()) {
      reference_clean = clean;
      reference_quarantine = quarantine;
      CHECK_FALSE(clean.empty());
    }
    CHECK(clean == reference_clean);
    CHECK(quarantine == reference_quarantine);
    auto totals = read_totals(run + "/summary.json");
    CHECK(totals.reconciled);
    CHECK(totals.records == totals.clean + totals.quarantined);
  }
}

TEST_CASE("every bad line lands in quarantine with its reason, good lines around it pass", "[cli]") {
  TempDir dir;
  test::write_file(dir / "in.jsonl", mixed_file(26) + std::string(300, 'x') + "\n" + chat_line(99));
  auto result = airlock_run({dir / "in.jsonl", "-o", dir / "run", "--max-line-bytes", "200", "-q"});
  REQUIRE(result.exit_code == 0);
  std::string quarantine = read_output(dir / "run/quarantine.jsonl.age");
  for (const char* code : {"invalid_json", "lone_surrogate", "nul_byte", "not_object", "too_large"}) {
    CHECK_THAT(quarantine, Catch::Contains(std::string("\"code\":\"") + code + "\""));
  }
  CHECK_THAT(quarantine, Catch::Contains(R"("line":3,)"));
  auto totals = read_totals(dir / "run/summary.json");
  CHECK(totals.records == 26);  // 26 lines of which 2 blank, plus the long line and the last
  CHECK(totals.quarantined == 9);
  CHECK(totals.clean == 17);
  std::string clean = read_output(dir / "run/clean.jsonl.age");
  CHECK_THAT(clean, Catch::EndsWith(chat_line(99) + "\n"));  // last line had no newline
}

TEST_CASE("gzip, zstd and standard input are read like plain files", "[cli]") {
  TempDir dir;
  std::string text = mixed_file(400);
  test::write_file(dir / "a.jsonl", text);
  REQUIRE(run_process("gzip", {"-k", dir / "a.jsonl"}).exit_code == 0);
  REQUIRE(run_process("zstd", {"-q", dir / "a.jsonl", "-o", dir / "a.jsonl.zst"}).exit_code == 0);

  auto plain = airlock_run({dir / "a.jsonl", "-o", dir / "plain", "-q"});
  auto gz = airlock_run({dir / "a.jsonl.gz", "-o", dir / "gz", "-q"});
  auto zst = airlock_run({dir / "a.jsonl.zst", "-o", dir / "zst", "-q"});
  auto stdin_run = airlock_run({"-", "-o", dir / "stdin", "-q"}, text);
  for (const auto* r : {&plain, &gz, &zst, &stdin_run}) REQUIRE(r->exit_code == 0);
  std::string reference = read_output(dir / "plain/clean.jsonl.age");
  CHECK(read_output(dir / "gz/clean.jsonl.age") == reference);
  CHECK(read_output(dir / "zst/clean.jsonl.age") == reference);
  CHECK(read_output(dir / "stdin/clean.jsonl.age") == reference);
  CHECK_THAT(test::read_file(dir / "gz/summary.json"), Catch::Contains(R"("compression":"gzip")"));
  CHECK_THAT(test::read_file(dir / "stdin/summary.json"), Catch::Contains(R"("path":"<stdin>")"));
}

TEST_CASE("several inputs go to one run directory, with counts per input", "[cli]") {
  TempDir dir;
  test::write_file(dir / "a.jsonl", mixed_file(30));
  test::write_file(dir / "b.txt", "plain text line\nanother\n");
  auto result = airlock_run({dir / "a.jsonl", dir / "b.txt", "-o", dir / "run"});
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.err, Catch::Contains("b.txt: fields: text"));
  simdjson::dom::parser parser;
  simdjson::dom::element summary = parser.load(dir / "run/summary.json");
  simdjson::dom::array inputs = summary["inputs"];
  REQUIRE(inputs.size() == 2);
  CHECK(uint64_t(inputs.at(1)["clean"]) == 2);
  CHECK(bool(summary["totals"]["reconciled"]));
}

TEST_CASE("a truncated .gz fails with exit 3 and publishes nothing", "[cli]") {
  TempDir dir;
  test::write_file(dir / "a.jsonl", mixed_file(2000));
  REQUIRE(run_process("gzip", {dir / "a.jsonl"}).exit_code == 0);
  std::string compressed = test::read_file(dir / "a.jsonl.gz");
  test::write_file(dir / "cut.jsonl.gz", compressed.substr(0, compressed.size() * 2 / 3));
  auto result = airlock_run({dir / "cut.jsonl.gz", "-o", dir / "run"});
  CHECK(result.exit_code == 3);
  CHECK_THAT(result.err, Catch::Contains("cut.jsonl.gz") && Catch::Contains("truncated"));
  CHECK(no_outputs(dir, "run"));
}

TEST_CASE("a missing input fails with exit 3 before any output exists", "[cli]") {
  TempDir dir;
  auto result = airlock_run({kSample, dir / "missing.jsonl", "-o", dir / "run"});
  CHECK(result.exit_code == 3);
  CHECK_THAT(result.err, Catch::Contains("missing.jsonl: cannot open: No such file or directory"));
  CHECK_FALSE(test::exists(dir / "run"));
}

TEST_CASE("an unwritable output folder fails with exit 3", "[cli]") {
  TempDir dir;
  test::write_file(dir / "file", "x");
  auto result = airlock_run({kSample, "-o", dir / "file/run"});
  CHECK(result.exit_code == 3);
  CHECK_THAT(result.err, Catch::Contains("file"));
}

TEST_CASE("outputs of an earlier run are kept unless --force, an input is never overwritten", "[cli]") {
  TempDir dir;
  REQUIRE(airlock_run({kSample, "-o", dir / "run", "-q"}).exit_code == 0);
  std::string before = test::read_file(dir / "run/clean.jsonl.age");
  auto again = airlock_run({kSample, "-o", dir / "run", "-q"});
  CHECK(again.exit_code == 2);
  CHECK_THAT(again.err, Catch::Contains("already exists") && Catch::Contains("--force"));
  CHECK(test::read_file(dir / "run/clean.jsonl.age") == before);
  CHECK(airlock_run({kSample, "-o", dir / "run", "-q", "--force"}).exit_code == 0);

  std::filesystem::copy_file(kSample, dir / "run/clean.jsonl", std::filesystem::copy_options::overwrite_existing);
  auto self = airlock_run({dir / "run/clean.jsonl", "-o", dir / "run", "--force"});
  CHECK(self.exit_code == 2);
  CHECK_THAT(self.err, Catch::Contains("is also an input"));
  CHECK(test::read_file(dir / "run/clean.jsonl") == test::read_file(kSample));
}

TEST_CASE("a run without a recipient does not start and says how to make a key", "[cli][encryption]") {
  TempDir dir;
  auto result = run_airlock({"run", kSample, "-o", dir / "run"});
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("no recipient") && Catch::Contains("airlock keygen"));
  CHECK_FALSE(test::exists(dir / "run"));
  auto bad = run_airlock({"run", kSample, "-o", dir / "run", "-r", "age1notakey"});
  CHECK(bad.exit_code == 2);
  CHECK_FALSE(test::exists(dir / "run"));
}

TEST_CASE("run outputs are age files any age tool opens; nothing else is left in the folder", "[cli][encryption]") {
  TempDir dir;
  auto result = airlock_run({kSample, "-o", dir / "run", "-q"});
  REQUIRE(result.exit_code == 0);
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "run")) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"clean.jsonl.age", "quarantine.jsonl.age", "summary.json"});
  for (const char* name : {"clean.jsonl.age", "quarantine.jsonl.age"}) {
    std::string ciphertext = test::read_file(dir / "run/" + name);
    CHECK(ciphertext.rfind("age-encryption.org/v1\n", 0) == 0);
    CHECK(ciphertext.find("example.org") == std::string::npos);  // no plaintext inside
    auto age = run_process("age", {"-d", "-i", test_key().identity, dir / "run/" + name});
    REQUIRE(age.exit_code == 0);
    CHECK(age.out == read_output(dir / "run/" + name));
  }
  CHECK(test::split_lines(read_output(dir / "run/clean.jsonl.age")).size() == 7);
  CHECK(test::split_lines(read_output(dir / "run/quarantine.jsonl.age")).size() == 5);
  CHECK_THAT(test::read_file(dir / "run/summary.json"),
             Catch::Contains(R"("clean":{"path":"clean.jsonl.age","encrypted":true)"));
}

TEST_CASE("plaintext output, when asked for, is the clean output only, never the quarantine", "[cli][encryption]") {
  TempDir dir;
  REQUIRE(airlock_run({kSample, "-o", dir / "run", "-q"}).exit_code == 0);
  auto plain = airlock_run({kSample, "-o", dir / "run", "-q", "--force", "--plaintext-output"});
  REQUIRE(plain.exit_code == 0);
  CHECK(test::split_lines(test::read_file(dir / "run/clean.jsonl")).size() == 7);
  CHECK_FALSE(test::exists(dir / "run/clean.jsonl.age"));  // the earlier encrypted one is gone
  CHECK(test::exists(dir / "run/quarantine.jsonl.age"));
  CHECK_FALSE(test::exists(dir / "run/quarantine.jsonl"));
  CHECK_THAT(test::read_file(dir / "run/summary.json"),
             Catch::Contains(R"("clean":{"path":"clean.jsonl","encrypted":false)"));
}

TEST_CASE("custom field pointers select what to check", "[cli]") {
  TempDir dir;
  test::write_file(dir / "in.jsonl", "{\"id\":1,\"note\":\"hello\"}\n{\"id\":2}\n{\"id\":3,\"note\":5}\n");
  auto result = airlock_run({dir / "in.jsonl", "-o", dir / "run", "--fields", "/note", "-q"});
  REQUIRE(result.exit_code == 0);
  CHECK(read_output(dir / "run/clean.jsonl.age") == "{\"id\":1,\"note\":\"hello\"}\n");
  std::string quarantine = read_output(dir / "run/quarantine.jsonl.age");
  CHECK_THAT(quarantine, Catch::Contains("missing_field") && Catch::Contains("field_type"));
}

namespace {
const std::string kTestRules = std::string(AIRLOCK_SOURCE_DIR) + "/fixtures/rules/test-pack.yaml";
}

TEST_CASE("airlock scan writes findings in the documented format, never the value", "[cli][scan]") {
  TempDir dir;
  test::write_file(dir / "in.jsonl", R"({"messages":[{"role":"user","content":"Grüße, mail jane.doe@example.org"},)"
                                     R"({"role":"assistant","content":"card 4111 1111 1111 1111 noted"}]})"
                                     "\n{\"messages\":[{\"role\":\"user\",\"content\":\"nothing here\"}]}\nnot json\n");
  auto result = run_airlock({"scan", dir / "in.jsonl", "--rules", kTestRules, "--findings", dir / "f.jsonl"});
  REQUIRE(result.exit_code == 0);
  auto lines = test::split_lines(test::read_file(dir / "f.jsonl"));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "{\"source\":\"" + dir / "in.jsonl" +
                        R"(","line":1,"path":"/messages/0/content","start":12,"end":32,"byte_start":14,"byte_end":34,)"
                        R"("entity":"EMAIL_ADDRESS","rule":"test.email","score":0.90})");
  CHECK_THAT(lines[1], Catch::Contains(R"("path":"/messages/1/content","start":5,"end":24,)") &&
                           Catch::Contains(R"("entity":"CREDIT_CARD")"));
  std::string all = test::read_file(dir / "f.jsonl") + result.err;
  CHECK(all.find("jane.doe") == std::string::npos);
  CHECK(all.find("4111") == std::string::npos);
  CHECK_THAT(result.err, Catch::Contains("EMAIL_ADDRESS") && Catch::Contains("CREDIT_CARD") &&
                             Catch::Contains("not scanned: 1 records (invalid_json 1)"));
}

TEST_CASE("airlock scan to standard output, as SARIF, and with a minimum score", "[cli][scan]") {
  TempDir dir;
  test::write_file(dir / "in.txt", "order 4111 1111 1111 1111\nmy card 4111 1111 1111 1111\nid 123-45-6789\n");
  auto all = run_airlock({"scan", dir / "in.txt", "--rules", kTestRules, "--findings", "-", "-q", "--min-score", "0"});
  REQUIRE(all.exit_code == 0);
  CHECK(test::split_lines(all.out).size() == 3);
  CHECK(all.err.empty());
  auto fair = run_airlock({"scan", dir / "in.txt", "--rules", kTestRules, "--findings", "-", "-q"});
  CHECK(test::split_lines(fair.out).size() == 1);  // default 0.5: only the card with context

  auto sarif = run_airlock({"scan", dir / "in.txt", "--rules", kTestRules, "--findings", dir / "f.sarif", "--format",
                            "sarif", "-q", "--min-score=0"});
  REQUIRE(sarif.exit_code == 0);
  simdjson::dom::parser parser;
  simdjson::dom::element log = parser.load(dir / "f.sarif");
  CHECK(std::string_view(log["version"]) == "2.1.0");
  simdjson::dom::element run = log["runs"].at(0);
  CHECK(std::string_view(run["tool"]["driver"]["name"]) == "airlock");
  CHECK(simdjson::dom::array(run["tool"]["driver"]["rules"]).size() == 5);
  simdjson::dom::array results = run["results"];
  REQUIRE(results.size() == 3);
  for (simdjson::dom::element r : results) {  // SARIF's required result fields
    CHECK(!std::string_view(r["ruleId"]).empty());
    CHECK(!std::string_view(r["message"]["text"]).empty());
    CHECK(int64_t(r["locations"].at(0)["physicalLocation"]["region"]["startLine"]) >= 1);
  }
}

TEST_CASE("airlock scan refuses bad rules and options with exit 2", "[cli][scan]") {
  TempDir dir;
  test::write_file(dir / "bad.yaml",
                   "pack: p\nversion: '1'\nrules:\n  - id: p.x\n    entity: X\n    pattern: '(unclosed'\n"
                   "    score: 0.5\n");
  auto bad = run_airlock({"scan", kSample, "--rules", dir / "bad.yaml", "--findings", "-"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("bad.yaml:4: rule p.x: pattern rejected by RE2"));
  CHECK(run_airlock({"scan", kSample, "--rules", kTestRules}).exit_code == 2);  // no --findings
  CHECK(run_airlock({"scan", kSample, "--rules", kTestRules, "--findings", "-", "--format", "xml"}).exit_code == 2);
  CHECK(run_airlock({"scan", kSample, "--rules", kTestRules, "--findings", "-", "--min-score", "2"}).exit_code == 2);
}

TEST_CASE("airlock rules list and test", "[cli][rules]") {
  auto list = run_airlock({"rules", "list", kTestRules});
  REQUIRE(list.exit_code == 0);
  CHECK_THAT(list.out, Catch::Contains("pack test 1.0") && Catch::Contains("test.card") && Catch::Contains("luhn"));
  auto test = run_airlock({"rules", "test", kTestRules});
  CHECK(test.exit_code == 0);
  CHECK_THAT(test.out, Catch::Contains("5 rules, 15 examples, 0 failed"));

  TempDir dir;
  test::write_file(dir / "wrong.yaml",
                   "pack: p\nversion: '1'\nrules:\n  - id: p.digits\n    entity: X\n"
                   "    pattern: '\\d{4}'\n    score: 0.5\n    examples: {match: [abcd], no_match: ['1234']}\n");
  auto failing = run_airlock({"rules", "test", dir / "wrong.yaml"});
  CHECK(failing.exit_code == 1);
  CHECK_THAT(failing.out,
             Catch::Contains("rule p.digits: match example not found: abcd") && Catch::Contains("2 failed"));
  CHECK(run_airlock({"rules", "frob"}).exit_code == 2);
}

namespace {

const std::string kPolicies = std::string(AIRLOCK_SOURCE_DIR) + "/policies";

// Chat records with personal data and a secret in them, and one with a
// private key.
std::string sensitive_chat(size_t copies) {
  std::string text;
  for (size_t i = 0; i < copies; ++i) {
    text += R"({"messages":[{"role":"user","content":"Please mail the signed contract to jane.doe@example.org or call \"me\" )"
            R"(tomorrow morning; the renewal goes on card 4111 1111 1111 1111, is that ok with the billing team?"},)"
            R"({"role":"assistant","content":"Noted, the renewal is scheduled.\nI will not keep the token )"
            R"(ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 you pasted; please rotate it."}]})"
            "\n";
    text += R"({"messages":[{"role":"user","content":"question )" + std::to_string(i) + R"( with nothing in it"}]})" "\n";
  }
  text += R"({"messages":[{"role":"user","content":"here: -----BEGIN RSA PRIVATE KEY----- MIIE"}]})" "\n";
  return text;
}

}  // namespace

TEST_CASE("the default policy redacts in place, and a second scan of the output finds nothing", "[cli][policy]") {
  TempDir dir;
  test::write_file(dir / "in.jsonl", sensitive_chat(30));
  auto result = airlock_run({dir / "in.jsonl", "-o", dir / "run", "--policy", kPolicies + "/fine-tune-upload.yaml"});
  REQUIRE(result.exit_code == 0);  // 1 of 61 records quarantined: under the 5% gate
  CHECK_THAT(result.err, Catch::Contains("fine-tune-upload") && Catch::Contains("verdict      pass") &&
                             Catch::Contains("EMAIL_ADDRESS") && Catch::Contains("GITHUB_TOKEN"));
  std::string clean = read_output(dir / "run/clean.jsonl.age");
  auto lines = test::split_lines(clean);
  REQUIRE(lines.size() == 60);
  CHECK(lines[0] ==
        R"({"messages":[{"role":"user","content":"Please mail the signed contract to <EMAIL_ADDRESS_1> or call \"me\" )"
        R"(tomorrow morning; the renewal goes on card <CREDIT_CARD_1>, is that ok with the billing team?"},)"
        R"({"role":"assistant","content":"Noted, the renewal is scheduled.\nI will not keep the token )"
        R"([GITHUB_TOKEN] you pasted; please rotate it."}]})");
  CHECK(lines[1] == R"({"messages":[{"role":"user","content":"question 0 with nothing in it"}]})");
  for (const char* value : {"jane.doe", "4111", "ghp_"}) {
    CHECK(clean.find(value) == std::string::npos);
    CHECK(test::read_file(dir / "run/summary.json").find(value) == std::string::npos);
  }
  std::string quarantine = read_output(dir / "run/quarantine.jsonl.age");
  CHECK_THAT(quarantine, Catch::Contains(R"("code":"policy_reject")") && Catch::Contains("PRIVATE_KEY"));

  test::write_file(dir / "clean.jsonl", clean);
  auto rescan = run_airlock({"scan", dir / "clean.jsonl", "--policy", kPolicies + "/fine-tune-upload.yaml",
                             "--findings", "-", "-q"});
  REQUIRE(rescan.exit_code == 0);
  CHECK(rescan.out.empty());
}

TEST_CASE("a policy run gives the same output for 1, 2 and 8 threads", "[cli][policy]") {
  TempDir dir;
  test::write_file(dir / "in.jsonl", sensitive_chat(300) + mixed_file(300));
  std::string reference;
  for (std::string threads : {"1", "2", "8"}) {
    std::string run = dir / ("run" + threads);
    auto result = airlock_run({dir / "in.jsonl", "-o", run, "-j", threads, "--batch-bytes", "8K", "-q", "--policy",
                               kPolicies + "/fine-tune-upload.yaml"});
    REQUIRE(result.exit_code == 1);  // the mixed lines fail the 5% gate
    std::string clean = read_output(run + "/clean.jsonl.age") + read_output(run + "/quarantine.jsonl.age");
    if (reference.empty()) reference = clean;
    CHECK(clean == reference);
  }
}

TEST_CASE("pci-dss masks cards to their last four digits and flags the rest", "[cli][policy]") {
  TempDir dir;
  test::write_file(dir / "in.jsonl", sensitive_chat(1));
  auto result = airlock_run({dir / "in.jsonl", "-o", dir / "run", "--policy", kPolicies + "/pci-dss.yaml", "-q"});
  CHECK(result.exit_code == 1);  // the private-key record is 1 of 3: over the gate
  std::string clean = read_output(dir / "run/clean.jsonl.age");
  CHECK_THAT(clean, Catch::Contains("card **** **** **** 1111") && Catch::Contains("jane.doe@example.org") &&
                        Catch::Contains("[GITHUB_TOKEN]"));
}

TEST_CASE("the gate refuses with exit 1 and says why, outputs stay for review", "[cli][policy]") {
  TempDir dir;
  test::write_file(dir / "in.jsonl", mixed_file(100));
  auto result = airlock_run({dir / "in.jsonl", "-o", dir / "run", "--policy", kPolicies + "/fine-tune-upload.yaml"});
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Catch::Contains("the gate refused") && Catch::Contains("max_quarantine_rate"));
  std::string summary = test::read_file(dir / "run/summary.json");
  CHECK_THAT(summary, Catch::Contains(R"("verdict":"fail")") && Catch::Contains(R"("policy":{"name":"fine-tune-upload")"));
  CHECK(test::exists(dir / "run/clean.jsonl.age"));
}

TEST_CASE("records that would lose most of their text are rejected, not sent half empty", "[cli][policy]") {
  TempDir dir;
  test::write_file(dir / "in.jsonl", R"({"messages":[{"role":"user","content":"jane.doe@example.org"}]})" "\n");
  auto result = airlock_run({dir / "in.jsonl", "-o", dir / "run", "--policy", kPolicies + "/fine-tune-upload.yaml", "-q"});
  CHECK(result.exit_code == 1);
  CHECK(read_output(dir / "run/clean.jsonl.age").empty());
  CHECK_THAT(read_output(dir / "run/quarantine.jsonl.age"),
             Catch::Contains("redaction would replace 100% of the record's text"));
}

TEST_CASE("airlock policy check shows the effective policy or refuses a bad one", "[cli][policy]") {
  auto good = run_airlock({"policy", "check", kPolicies + "/pci-dss.yaml"});
  REQUIRE(good.exit_code == 0);
  CHECK_THAT(good.out, Catch::Contains("policy: \"pci-dss\"") && Catch::Contains("\"PRIVATE_KEY\": reject") &&
                           Catch::Contains("is valid: 2 rule packs"));
  TempDir dir;
  test::write_file(dir / "bad.yaml", "policy: bad\nactions:\n  EMAIL_ADDRESS: obliterate\n");
  auto bad = run_airlock({"policy", "check", dir / "bad.yaml"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("bad.yaml:3: unknown action 'obliterate'"));
  auto run_bad = airlock_run({kSample, "-o", dir / "run", "--policy", dir / "bad.yaml"});
  CHECK(run_bad.exit_code == 2);
  CHECK_FALSE(test::exists(dir / "run"));

  // An entity no pack of the policy can find: a typo that would do nothing.
  test::write_file(dir / "typo.yaml", "policy: typo\nrules: [pii]\nreject:\n  entities: [PRIVATE_KEY]\n");
  auto typo = run_airlock({"policy", "check", dir / "typo.yaml"});
  CHECK(typo.exit_code == 2);
  CHECK_THAT(typo.err, Catch::Contains("typo.yaml:4: 'PRIVATE_KEY' names no entity of the policy's rule packs (pii"));
}

TEST_CASE("airlock redact filters standard input to standard output, rejects to an encrypted file", "[cli][policy]") {
  TempDir dir;
  auto result = run_airlock({"redact", "--quarantine", dir / "rejected.age", "-r", test_key().recipient, "-q"},
                            sensitive_chat(40));
  REQUIRE(result.exit_code == 0);
  auto lines = test::split_lines(result.out);
  REQUIRE(lines.size() == 80);
  CHECK_THAT(lines[0], Catch::Contains("<EMAIL_ADDRESS_1>") && Catch::Contains("[GITHUB_TOKEN]"));
  CHECK(result.out.find("jane.doe") == std::string::npos);
  std::string rejected = read_output(dir / "rejected.age");
  CHECK_THAT(rejected, Catch::Contains("PRIVATE_KEY") && Catch::Contains("\"line\":81"));
  auto no_quarantine = run_airlock({"redact", "-r", test_key().recipient}, sensitive_chat(1));
  CHECK(no_quarantine.exit_code == 2);
  CHECK_THAT(no_quarantine.err, Catch::Contains("--quarantine"));
  CHECK(no_quarantine.out.empty());
}

TEST_CASE("keyed pseudonyms: a run makes and keeps its key, the same key gives the same pseudonyms", "[cli][policy]") {
  TempDir dir;
  test::write_file(dir / "in.jsonl", sensitive_chat(5));
  std::string policy = kPolicies + "/gdpr-pseudonymize.yaml";
  auto first = airlock_run({dir / "in.jsonl", "-o", dir / "first", "--policy", policy});
  REQUIRE(first.exit_code == 1);  // the private-key record is 1 of 11: over the gate, outputs written
  CHECK_THAT(first.err, Catch::Contains("generated, in pseudonym-key.age"));
  std::string key_text = read_output(dir / "first/pseudonym-key.age");
  REQUIRE(key_text.find("airlock pseudonym key") != std::string::npos);
  test::write_file(dir / "key.txt", key_text);
  std::filesystem::permissions(dir / "key.txt", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::string clean = read_output(dir / "first/clean.jsonl.age");
  CHECK_THAT(clean, Catch::Contains("<EMAIL_ADDRESS_") && !Catch::Contains("jane.doe"));
  for (const std::string& line : test::split_lines(clean)) {
    CHECK(line.find(key_text.substr(key_text.find('\n') + 1, 64)) == std::string::npos);
  }

  auto second = airlock_run({dir / "in.jsonl", "-o", dir / "second", "--policy", policy, "--pseudonym-key",
                             dir / "key.txt"});
  REQUIRE(second.exit_code == 1);
  CHECK_FALSE(test::exists(dir / "second/pseudonym-key.age"));  // given, not made
  CHECK(read_output(dir / "second/clean.jsonl.age") == clean);
  CHECK(test::read_file(dir / "second/summary.json").find(R"("source":"given")") != std::string::npos);

  auto third = airlock_run({dir / "in.jsonl", "-o", dir / "third", "--policy", policy});
  CHECK(read_output(dir / "third/clean.jsonl.age") != clean);  // another key, other pseudonyms

  test::write_file(dir / "bad-key.txt", "not a key");
  auto bad = airlock_run({dir / "in.jsonl", "-o", dir / "fourth", "--policy", policy, "--pseudonym-key",
                          dir / "bad-key.txt"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("bad-key.txt: not a pseudonym key"));
  CHECK_FALSE(test::exists(dir / "fourth"));
}

// Golden outputs: every shipped policy on one fixture. A change to what a
// policy does shows up here, to be reviewed and the expected files updated.
TEST_CASE("every shipped policy gives its golden output on the policy fixture", "[cli][policy][golden]") {
  const std::string folder = std::string(AIRLOCK_SOURCE_DIR) + "/fixtures/policies";
  TempDir dir;
  test::write_file(dir / "pseudonym-key.txt", "# a test key\n" + std::string(63, '0') + "1\n");
  std::filesystem::permissions(dir / "pseudonym-key.txt",
                               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  for (std::string name : {"fine-tune-upload", "pci-dss", "secrets-only", "format-check", "gdpr-pseudonymize",
                           "hipaa-safe-harbor", "inference-redact"}) {
    INFO(name);
    std::string run = dir / name;
    auto result = airlock_run({folder + "/input.jsonl", "-o", run, "-q", "--policy", kPolicies + "/" + name + ".yaml",
                               "--pseudonym-key", dir / "pseudonym-key.txt"});
    CHECK((result.exit_code == 0 || result.exit_code == 1));  // 1: the private-key record fails a 5% gate
    std::string clean = read_output(run + "/clean.jsonl.age");
    std::string quarantine = read_output(run + "/quarantine.jsonl.age");
    for (size_t at = quarantine.find(folder + "/input.jsonl"); at != std::string::npos;
         at = quarantine.find(folder + "/input.jsonl")) {
      quarantine.replace(at, folder.size() + 12, "input.jsonl");
    }
    CHECK(clean == test::read_file(folder + "/expected/" + name + ".clean.jsonl"));
    CHECK(quarantine == test::read_file(folder + "/expected/" + name + ".quarantine.jsonl"));
    // A fine-tuning record stays a valid fine-tuning record.
    simdjson::dom::parser parser;
    for (const std::string& line : test::split_lines(clean)) {
      simdjson::dom::element record;
      REQUIRE(parser.parse(line).get(record) == simdjson::SUCCESS);
      simdjson::dom::array messages;
      REQUIRE(record["messages"].get(messages) == simdjson::SUCCESS);
      for (simdjson::dom::element message : messages) {
        std::string_view role, content;
        CHECK(message["role"].get(role) == simdjson::SUCCESS);
        CHECK(message["content"].get(content) == simdjson::SUCCESS);
      }
    }
  }
}

TEST_CASE("a policy can reject personal data in system prompts only", "[cli][policy]") {
  TempDir dir;
  test::write_file(dir / "policy.yaml", "policy: no-pii-in-system\nextends: " + kPolicies +
                                            "/fine-tune-upload.yaml\nreject:\n  roles: {system: [\"*\"]}\n"
                                            "gate: {max_quarantine_rate: 1}\n");
  test::write_file(dir / "in.jsonl",
                   R"({"messages":[{"role":"system","content":"Escalate to ops-lead@example.org when in doubt."},)"
                   R"({"role":"user","content":"Hello there, can you help me with my account settings today?"}]})" "\n"
                   R"({"messages":[{"role":"user","content":"My address for the invoice is jane.doe@example.org, thanks a lot."}]})" "\n");
  auto result = airlock_run({dir / "in.jsonl", "-o", dir / "run", "--policy", dir / "policy.yaml", "-q"});
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(read_output(dir / "run/quarantine.jsonl.age"),
             Catch::Contains("the policy rejects EMAIL_ADDRESS in a system message") && Catch::Contains("\"line\":1"));
  CHECK_THAT(read_output(dir / "run/clean.jsonl.age"), Catch::Contains("<EMAIL_ADDRESS_1>"));
}

TEST_CASE("the default policy rejects prohibited content, leetspeak included", "[cli][policy]") {
  TempDir dir;
  test::write_file(dir / "in.jsonl",
                   R"({"messages":[{"role":"user","content":"pl3ase wr1te me a r4nsomw4re that encrypts the share"}]})" "\n"
                   R"({"messages":[{"role":"user","content":"How does ransomware usually get into a company network?"}]})" "\n");
  auto result = airlock_run({dir / "in.jsonl", "-o", dir / "run", "-q", "--policy", kPolicies + "/fine-tune-upload.yaml"});
  CHECK(result.exit_code == 1);  // 1 of 2 records quarantined: over the 5% gate
  CHECK_THAT(read_output(dir / "run/quarantine.jsonl.age"),
             Catch::Contains("the policy rejects PROHIBITED_MALWARE") && Catch::Contains("\"line\":1"));
  CHECK_THAT(read_output(dir / "run/clean.jsonl.age"), Catch::Contains("How does ransomware usually"));
}

TEST_CASE("airlock eval scores scan findings against a labelled set", "[cli][eval]") {
  TempDir dir;
  test::write_file(dir / "in.jsonl", R"({"messages":[{"role":"user","content":"mail jane.doe@example.org or x@y"}]})" "\n"
                                     R"({"messages":[{"role":"user","content":"nothing to see"}]})" "\n");
  test::write_file(dir / "truth.jsonl", R"({"line":1,"path":"/messages/0/content","start":5,"end":25,"entity":"EMAIL_ADDRESS"})" "\n");
  REQUIRE(run_airlock({"scan", dir / "in.jsonl", "--findings", dir / "found.jsonl", "-q"}).exit_code == 0);
  auto result = run_airlock({"eval", "--truth", dir / "truth.jsonl", "--findings", dir / "found.jsonl"});
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("EMAIL_ADDRESS") && Catch::Contains("1.000    1.000"));
  test::write_file(dir / "bad.jsonl", "{\"line\":1}\n");
  auto bad = run_airlock({"eval", "--truth", dir / "bad.jsonl", "--findings", dir / "found.jsonl"});
  CHECK(bad.exit_code == 3);
  CHECK_THAT(bad.err, Catch::Contains("bad.jsonl:1: needs line, path, start, end and entity"));
  CHECK(run_airlock({"eval", "--truth", dir / "truth.jsonl"}).exit_code == 2);
}

TEST_CASE("PERSON goes through scan, eval and the default policy like any entity", "[cli][person]") {
  TempDir dir;
  // The committed accuracy set: eval's table has a PERSON row.
  std::string set = std::string(AIRLOCK_SOURCE_DIR) + "/fixtures/accuracy";
  REQUIRE(run_airlock({"scan", set + "/chat.jsonl", "--findings", dir / "found.jsonl", "-q"}).exit_code == 0);
  CHECK_THAT(test::read_file(dir / "found.jsonl"), Catch::Contains("\"entity\":\"PERSON\",\"rule\":\"pii.person\""));
  auto eval = run_airlock({"eval", "--truth", set + "/truth.jsonl", "--findings", dir / "found.jsonl"});
  REQUIRE(eval.exit_code == 0);
  CHECK_THAT(eval.out, Catch::Contains("\nPERSON "));
  // The default policy gives each person of a record a pseudonym; "May" the month stays.
  test::write_file(dir / "in.jsonl",
                   R"({"messages":[{"role":"user","content":"Hi, this is Maria Gonzalez. Dr. Okonkwo moved my visit to May."},)"
                   R"({"role":"assistant","content":"Thanks, Maria Gonzalez. I will call you in May."}]})" "\n");
  auto result = airlock_run(
      {dir / "in.jsonl", "-o", dir / "run", "-q", "--plaintext-output", "--policy", kPolicies + "/fine-tune-upload.yaml"});
  REQUIRE(result.exit_code == 0);
  std::string clean = test::read_file(dir / "run/clean.jsonl");
  CHECK_THAT(clean, Catch::Contains("this is <PERSON_1>. Dr. <PERSON_2> moved my visit to May.") &&
                        Catch::Contains("Thanks, <PERSON_1>. I will call you in May."));
  CHECK_THAT(clean, !Catch::Contains("Gonzalez") && !Catch::Contains("Okonkwo"));
}

TEST_CASE("airlock scan never writes its findings over an input", "[cli][scan]") {
  TempDir dir;
  test::write_file(dir / "in.jsonl", R"({"messages":[{"role":"user","content":"mail jane.doe@example.org"}]})" "\n");
  std::string before = test::read_file(dir / "in.jsonl");
  auto result = run_airlock({"scan", dir / "in.jsonl", "--findings", dir / "in.jsonl"});
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("is also an input"));
  CHECK(test::read_file(dir / "in.jsonl") == before);
}

TEST_CASE("airlock redact never writes its quarantine over an input", "[cli][policy]") {
  TempDir dir;
  test::write_file(dir / "in.jsonl", sensitive_chat(1));
  std::string before = test::read_file(dir / "in.jsonl");
  auto result = run_airlock({"redact", dir / "in.jsonl", "--quarantine", dir / "in.jsonl", "--force", "-r",
                             test_key().recipient});
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("is also an input"));
  CHECK(test::read_file(dir / "in.jsonl") == before);
}

TEST_CASE("airlock validate says whether the fine-tuning service would accept a file", "[cli][finetune]") {
  TempDir dir;
  std::string good;
  for (int i = 0; i < 12; ++i) good += chat_line(static_cast<size_t>(i)) + "\n";
  test::write_file(dir / "good.jsonl", good);
  auto accepted = run_airlock({"validate", dir / "good.jsonl"});
  CHECK(accepted.exit_code == 0);
  CHECK_THAT(accepted.out, Catch::Contains("12 examples (chat, gpt-4o-2024-08-06): the file would be accepted"));
  auto sample = run_airlock({"validate", kSample, "--json"});
  CHECK(sample.exit_code == 1);
  CHECK_THAT(sample.out, Catch::Contains(R"("accepted":false)") &&
                             Catch::Contains(R"("not_object":{"count":1,"first_lines":[6]})"));
  CHECK(run_airlock({"validate", dir / "missing.jsonl"}).exit_code == 3);
}

TEST_CASE("inference-redact: reversible pseudonyms go out, airlock restore puts the values back", "[cli][policy]") {
  TempDir dir;
  std::string policy = kPolicies + "/inference-redact.yaml";
  auto redacted = run_airlock({"redact", "-p", policy, "--vault", dir / "vault.age", "--quarantine", dir / "q.age", "-r",
                               test_key().recipient, "-q"},
                              sensitive_chat(3));
  REQUIRE(redacted.exit_code == 0);
  auto lines = test::split_lines(redacted.out);
  REQUIRE(lines.size() == 7);  // nothing rejected, the private key line included
  CHECK(redacted.out.find("jane.doe@example.org") == std::string::npos);
  CHECK(redacted.out.find("ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789") == std::string::npos);
  size_t at = lines[0].find("<EMAIL_ADDRESS_");
  REQUIRE(at != std::string::npos);
  std::string token = lines[0].substr(at, lines[0].find('>', at) + 1 - at);
  CHECK(token.size() == std::string("<EMAIL_ADDRESS_>").size() + 12);
  CHECK_THAT(lines[2], Catch::Contains(token));  // the same value, the same placeholder
  // The vault is encrypted: the values are not in it as plaintext.
  CHECK(test::read_file(dir / "vault.age").find("jane.doe") == std::string::npos);

  // An answer that quotes the placeholder, as JSON (once with JSON escapes) and as text.
  std::string escaped = "\\u003c" + token.substr(1, token.size() - 2) + "\\u003e";
  std::string answers = R"({"answer":"I wrote to )" + token + R"( and to )" + escaped + R"("})" "\n" +
                        "plain " + token + " and <UNKNOWN_TOKEN_0123> stay\n";
  auto restored = run_airlock({"restore", "--vault", dir / "vault.age", "-i", test_key().identity}, answers);
  REQUIRE(restored.exit_code == 0);
  CHECK(restored.out == "{\"answer\":\"I wrote to jane.doe@example.org and to jane.doe@example.org\"}\n"
                        "plain jane.doe@example.org and <UNKNOWN_TOKEN_0123> stay\n");
  CHECK_THAT(restored.err, Catch::Contains("3 pseudonyms restored") && Catch::Contains("1 not in the vault"));

  // Without a vault there is nothing to restore from: refused up front.
  auto no_vault = run_airlock({"redact", "-p", policy, "--quarantine", dir / "q2.age", "-r", test_key().recipient},
                              sensitive_chat(1));
  CHECK(no_vault.exit_code == 2);
  CHECK_THAT(no_vault.err, Catch::Contains("--vault FILE"));
  // A wrong identity cannot open the vault.
  TempDir other;
  REQUIRE(run_airlock({"keygen", "-o", other / "k.txt"}).exit_code == 0);
  auto wrong = run_airlock({"restore", "--vault", dir / "vault.age", "-i", other / "k.txt"}, answers);
  CHECK(wrong.exit_code != 0);
  CHECK(wrong.out.empty());
}

TEST_CASE("a reversible run keeps its vault, encrypted and listed in the manifest", "[cli][policy]") {
  TempDir dir;
  test::write_file(dir / "in.jsonl", sensitive_chat(2));
  auto run = airlock_run({dir / "in.jsonl", "-o", dir / "run", "--policy", kPolicies + "/inference-redact.yaml", "-q"});
  REQUIRE(run.exit_code == 0);
  std::string vault = read_output(dir / "run/vault.jsonl.age");
  CHECK_THAT(vault, Catch::Contains("\"value\":\"jane.doe@example.org\""));
  CHECK_THAT(test::read_file(dir / "run/manifest.json"), Catch::Contains("\"path\":\"vault.jsonl.age\""));
  CHECK(run_airlock({"audit", "verify", dir / "run", "--allow-unsigned"}).exit_code == 0);

  // Per-record numbering cannot be reversed across records: refused.
  test::write_file(dir / "numbered.yaml", "policy: n\nrules: [pii]\nreversible: true\nactions:\n"
                                          "  EMAIL_ADDRESS: {action: pseudonymize, numbering: record}\n");
  auto numbered = run_airlock({"policy", "check", dir / "numbered.yaml"});
  CHECK(numbered.exit_code == 2);
  CHECK_THAT(numbered.err, Catch::Contains("numbered.yaml:3: a reversible policy needs keyed pseudonyms"));
}

TEST_CASE("the drop action removes the message that holds the value, and the record stays valid", "[cli][policy]") {
  TempDir dir;
  test::write_file(dir / "drop.yaml", "policy: drop-tokens\nrules: [pii, secrets]\nactions:\n  \"*\": redact\n"
                                      "  GITHUB_TOKEN: drop\n");
  test::write_file(dir / "in.jsonl", sensitive_chat(2));
  auto run = airlock_run({dir / "in.jsonl", "-o", dir / "run", "--policy", dir / "drop.yaml", "-q"});
  REQUIRE(run.exit_code == 0);
  auto clean = test::split_lines(read_output(dir / "run/clean.jsonl.age"));
  REQUIRE(clean.size() == 5);  // the private key line is redacted, not rejected, by this policy
  // The assistant message that quoted the token is gone; the user's stays, redacted.
  CHECK(clean[0] == R"({"messages":[{"role":"user","content":"Please mail the signed contract to [EMAIL_ADDRESS] or call )"
                    R"(\"me\" tomorrow morning; the renewal goes on card [CREDIT_CARD], is that ok with the billing team?"}]})");
  simdjson::dom::parser parser;
  simdjson::dom::element report = parser.load(dir / "run/report.json");
  CHECK(uint64_t(report["entities"]["GITHUB_TOKEN"]["actions"]["drop"]) == 2);
  CHECK(uint64_t(report["verification"]["findings"]) == 0);
  CHECK_THAT(test::read_file(dir / "run/audit.jsonl"), Catch::Contains("\"actions\":{\"drop\":1,\"redact\":2}"));
}

TEST_CASE("airlock validate counts tokens per encoding and prices the training", "[cli][finetune][tokens]") {
  const std::string fixtures = std::string(AIRLOCK_SOURCE_DIR) + "/fixtures/finetune";
  auto report = run_airlock({"validate", fixtures + "/chat/good.jsonl", "--model", "gpt-4o-mini", "--epochs", "2", "--json"});
  CHECK(report.exit_code == 0);
  CHECK_THAT(report.out, Catch::Contains(R"("model":"gpt-4o-mini-2024-07-18","encoding":"o200k_base")") &&
                             Catch::Contains(R"("o200k_base":{"content_tokens":)") &&
                             Catch::Contains(R"("cl100k_base":{"content_tokens":)") &&
                             Catch::Contains(R"("epochs":2)") && Catch::Contains(R"("estimated_cost_usd":)"));
  auto text = run_airlock({"validate", fixtures + "/preference/good.jsonl", "--format", "auto"});
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("12 examples (preference, gpt-4o-2024-08-06)") &&
                           Catch::Contains("estimated cost: $") && Catch::Contains("per example min"));
  auto batch = run_airlock({"validate", fixtures + "/batch/bad_url.jsonl", "--format", "batch", "--json"});
  CHECK(batch.exit_code == 1);
  CHECK_THAT(batch.out, Catch::Contains(R"("bad_url":{"count":1,"first_lines":[6]})") &&
                            Catch::Contains(R"("estimated_cost_usd":null)"));
  auto too_long = run_airlock({"validate", fixtures + "/chat/too_many_tokens.jsonl", "--models", fixtures + "/models.yaml"});
  CHECK(too_long.exit_code == 1);
  CHECK_THAT(too_long.out, Catch::Contains("error too_many_tokens: 1 (lines 7)"));
}

TEST_CASE("airlock run --count-tokens puts tokens and cost before and after the policy in the summary", "[cli][tokens]") {
  TempDir dir;
  const std::string good = std::string(AIRLOCK_SOURCE_DIR) + "/fixtures/finetune/chat/good.jsonl";
  auto result = airlock_run({good, "-o", dir / "run", "--count-tokens", "gpt-4o", "-q"});
  REQUIRE(result.exit_code == 0);
  // The chat fields of a plain chat file are its messages' contents, so the
  // run counts what validate calls content_tokens; format-check edits nothing.
  auto validated = run_airlock({"validate", good, "--json"});
  size_t at = validated.out.find(R"("o200k_base":{"content_tokens":)");
  REQUIRE(at != std::string::npos);
  std::string content = validated.out.substr(at + 31, validated.out.find(',', at) - at - 31);
  CHECK_THAT(test::read_file(dir / "run/summary.json"),
             Catch::Contains(R"("tokens":{"model":"gpt-4o-2024-08-06","encoding":"o200k_base","before_policy":)" +
                             content + R"(,"after_policy":)" + content +
                             R"(,"training_usd_per_million_tokens":25.0000,"prices_taken":"2025-06-01")"));
  // A redacting policy shortens the clean output's count.
  TempDir redacted;
  test::write_file(redacted / "in.jsonl", sensitive_chat(1));
  auto policy = airlock_run({redacted / "in.jsonl", "-o", redacted / "run", "--count-tokens", "gpt-3.5-turbo", "-q",
                             "--policy", kPolicies + "/fine-tune-upload.yaml"});
  std::string summary = test::read_file(redacted / "run/summary.json");
  CHECK_THAT(summary, Catch::Contains(R"("tokens":{"model":"gpt-3.5-turbo-0125","encoding":"cl100k_base")"));
  auto number_after = [&](const std::string& key) {
    size_t at = summary.find("\"" + key + "\":");
    REQUIRE(at != std::string::npos);
    return std::stoull(summary.substr(at + key.size() + 3));
  };
  CHECK(number_after("after_policy") > 0);
  CHECK(number_after("after_policy") < number_after("before_policy"));
  // The reports carry the same figures.
  CHECK_THAT(test::read_file(redacted / "run/report.json"),
             Catch::Contains(R"("tokens":{"model":"gpt-3.5-turbo-0125","encoding":"cl100k_base","before_policy":)" +
                             std::to_string(number_after("before_policy"))));
  CHECK_THAT(test::read_file(redacted / "run/report.html"), Catch::Contains("<h2>Tokens</h2>"));
  auto unknown = run_airlock({"run", good, "-o", dir / "x", "--count-tokens", "gpt2", "-r", test_key().recipient});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("unknown model 'gpt2'"));
  CHECK_FALSE(test::exists(dir / "x"));  // refused before anything was created
}

TEST_CASE("airlock validate refuses an unknown model, format or a broken models file with exit 2", "[cli][finetune]") {
  const std::string good = std::string(AIRLOCK_SOURCE_DIR) + "/fixtures/finetune/chat/good.jsonl";
  auto model = run_airlock({"validate", good, "--model", "gpt-9"});
  CHECK(model.exit_code == 2);
  CHECK_THAT(model.err, Catch::Contains("unknown model 'gpt-9'"));
  CHECK(run_airlock({"validate", good, "--format", "xml"}).exit_code == 2);
  CHECK(run_airlock({"validate", good, "--epochs", "0"}).exit_code == 2);
  TempDir dir;
  test::write_file(dir / "models.yaml", "taken: x\nmodels: [\n");
  auto bad = run_airlock({"validate", good, "--models", dir / "models.yaml"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains(dir / "models.yaml:"));
}
