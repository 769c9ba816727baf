// End to end: the airlock binary on fixtures, checking exit codes, outputs
// and which files exist afterwards.
#include <simdjson.h>
#include <sys/stat.h>

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
      case 2: text += "{\"messages\":[{\"role\":\"user\",\"content\":\"cut\n"; break;
      case 4: text += "\n"; break;
      case 6: text += "{\"messages\":[{\"role\":\"user\",\"content\":\"\\udc00\"}]}\n"; break;
      case 8: {
        static const char kNulLine[] = "{\"messages\":[{\"role\":\"user\",\"content\":\"nul \0 byte\"}]}\n";
        text += std::string(kNulLine, sizeof kNulLine - 1);
        break;
      }
      case 10: text += "[\"array\"]\n"; break;
      default: text += chat_line(i) + "\n";
    }
  }
  return text;
}

struct SummaryTotals {
  uint64_t lines, empty_lines, records, clean, quarantined;
  bool reconciled;
};

SummaryTotals read_totals(const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.load(path);
  simdjson::dom::element t = doc["totals"];
  return {uint64_t(t["lines"]), uint64_t(t["empty_lines"]), uint64_t(t["records"]), uint64_t(t["clean"]),
          uint64_t(t["quarantined"]), bool(t["reconciled"])};
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
  auto unknown = run_airlock({"run", kSample, "--out", dir / "r", "--frobnicate"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("unknown option '--frobnicate'") && Catch::Contains("airlock run --help"));
  auto no_out = run_airlock({"run", kSample});
  CHECK(no_out.exit_code == 2);
  CHECK_THAT(no_out.err, Catch::Contains("--out"));
  auto threads = run_airlock({"run", kSample, "-o", dir / "r", "--threads", "0"});
  CHECK(threads.exit_code == 2);
  auto fields = run_airlock({"run", kSample, "-o", dir / "r", "--fields", "content"});
  CHECK(fields.exit_code == 2);
  CHECK_THAT(fields.err, Catch::Contains("must start with '/'"));
  auto size = run_airlock({"run", kSample, "-o", dir / "r", "--max-line-bytes", "12Q"});
  CHECK(size.exit_code == 2);
  auto command = run_airlock({"frob"});
  CHECK(command.exit_code == 2);
  CHECK_THAT(command.err, Catch::Contains("unknown command 'frob'"));
  CHECK(no_outputs(dir, "r"));
}

TEST_CASE("the shipped sample runs: good lines pass unchanged, bad ones are quarantined", "[cli]") {
  TempDir dir;
  auto result = run_airlock({"run", kSample, "--out", dir / "run", "--threads", "2"});
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.err, Catch::Contains("fields: chat") && Catch::Contains("quarantined  5"));

  std::string clean = test::read_file(dir / "run/clean.jsonl");
  for (const std::string& line : test::split_lines(clean)) {
    CHECK(test::read_file(kSample).find(line + "\n") != std::string::npos);  // byte-identical lines
  }
  auto totals = read_totals(dir / "run/summary.json");
  CHECK(totals.records == 12);
  CHECK(totals.clean == 7);
  CHECK(totals.quarantined == 5);
  CHECK(totals.empty_lines == 1);
  CHECK(totals.reconciled);
  auto quarantine = test::split_lines(test::read_file(dir / "run/quarantine.jsonl"));
  REQUIRE(quarantine.size() == 5);
  CHECK_THAT(quarantine[0], Catch::Contains(R"("line":4,"reasons":[{"code":"invalid_json")"));

  struct stat st {};
  for (const char* name : {"clean.jsonl", "quarantine.jsonl", "summary.json"}) {
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
    auto result = run_airlock({"run", dir / "in.jsonl", "-o", run, "-j", threads, "--batch-bytes", "4K", "-q"});
    REQUIRE(result.exit_code == 0);
    CHECK(result.err.empty());  // --quiet
    std::string clean = test::read_file(run + "/clean.jsonl");
    std::string quarantine = test::read_file(run + "/quarantine.jsonl");
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
  auto result = run_airlock({"run", dir / "in.jsonl", "-o", dir / "run", "--max-line-bytes", "200", "-q"});
  REQUIRE(result.exit_code == 0);
  std::string quarantine = test::read_file(dir / "run/quarantine.jsonl");
  for (const char* code : {"invalid_json", "lone_surrogate", "nul_byte", "not_object", "too_large"}) {
    CHECK_THAT(quarantine, Catch::Contains(std::string("\"code\":\"") + code + "\""));
  }
  CHECK_THAT(quarantine, Catch::Contains(R"("line":3,)"));
  auto totals = read_totals(dir / "run/summary.json");
  CHECK(totals.records == 26);  // 26 lines of which 2 blank, plus the long line and the last
  CHECK(totals.quarantined == 9);
  CHECK(totals.clean == 17);
  std::string clean = test::read_file(dir / "run/clean.jsonl");
  CHECK_THAT(clean, Catch::EndsWith(chat_line(99) + "\n"));  // last line had no newline
}

TEST_CASE("gzip, zstd and standard input are read like plain files", "[cli]") {
  TempDir dir;
  std::string text = mixed_file(400);
  test::write_file(dir / "a.jsonl", text);
  REQUIRE(run_process("gzip", {"-k", dir / "a.jsonl"}).exit_code == 0);
  REQUIRE(run_process("zstd", {"-q", dir / "a.jsonl", "-o", dir / "a.jsonl.zst"}).exit_code == 0);

  auto plain = run_airlock({"run", dir / "a.jsonl", "-o", dir / "plain", "-q"});
  auto gz = run_airlock({"run", dir / "a.jsonl.gz", "-o", dir / "gz", "-q"});
  auto zst = run_airlock({"run", dir / "a.jsonl.zst", "-o", dir / "zst", "-q"});
  auto stdin_run = run_airlock({"run", "-", "-o", dir / "stdin", "-q"}, text);
  for (const auto* r : {&plain, &gz, &zst, &stdin_run}) REQUIRE(r->exit_code == 0);
  std::string reference = test::read_file(dir / "plain/clean.jsonl");
  CHECK(test::read_file(dir / "gz/clean.jsonl") == reference);
  CHECK(test::read_file(dir / "zst/clean.jsonl") == reference);
  CHECK(test::read_file(dir / "stdin/clean.jsonl") == reference);
  CHECK_THAT(test::read_file(dir / "gz/summary.json"), Catch::Contains(R"("compression":"gzip")"));
  CHECK_THAT(test::read_file(dir / "stdin/summary.json"), Catch::Contains(R"("path":"<stdin>")"));
}

TEST_CASE("several inputs go to one run directory, with counts per input", "[cli]") {
  TempDir dir;
  test::write_file(dir / "a.jsonl", mixed_file(30));
  test::write_file(dir / "b.txt", "plain text line\nanother\n");
  auto result = run_airlock({"run", dir / "a.jsonl", dir / "b.txt", "-o", dir / "run"});
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
  auto result = run_airlock({"run", dir / "cut.jsonl.gz", "-o", dir / "run"});
  CHECK(result.exit_code == 3);
  CHECK_THAT(result.err, Catch::Contains("cut.jsonl.gz") && Catch::Contains("truncated"));
  CHECK(no_outputs(dir, "run"));
}

TEST_CASE("a missing input fails with exit 3 before any output exists", "[cli]") {
  TempDir dir;
  auto result = run_airlock({"run", kSample, dir / "missing.jsonl", "-o", dir / "run"});
  CHECK(result.exit_code == 3);
  CHECK_THAT(result.err, Catch::Contains("missing.jsonl: cannot open: No such file or directory"));
  CHECK_FALSE(test::exists(dir / "run"));
}

TEST_CASE("an unwritable output folder fails with exit 3", "[cli]") {
  TempDir dir;
  test::write_file(dir / "file", "x");
  auto result = run_airlock({"run", kSample, "-o", dir / "file/run"});
  CHECK(result.exit_code == 3);
  CHECK_THAT(result.err, Catch::Contains("file"));
}

TEST_CASE("outputs of an earlier run are kept unless --force, an input is never overwritten", "[cli]") {
  TempDir dir;
  REQUIRE(run_airlock({"run", kSample, "-o", dir / "run", "-q"}).exit_code == 0);
  std::string before = test::read_file(dir / "run/clean.jsonl");
  auto again = run_airlock({"run", kSample, "-o", dir / "run", "-q"});
  CHECK(again.exit_code == 2);
  CHECK_THAT(again.err, Catch::Contains("already exists") && Catch::Contains("--force"));
  CHECK(test::read_file(dir / "run/clean.jsonl") == before);
  CHECK(run_airlock({"run", kSample, "-o", dir / "run", "-q", "--force"}).exit_code == 0);

  std::filesystem::copy_file(kSample, dir / "run/clean.jsonl", std::filesystem::copy_options::overwrite_existing);
  auto self = run_airlock({"run", dir / "run/clean.jsonl", "-o", dir / "run", "--force"});
  CHECK(self.exit_code == 2);
  CHECK_THAT(self.err, Catch::Contains("is also an input"));
  CHECK(test::read_file(dir / "run/clean.jsonl") == test::read_file(kSample));
}

TEST_CASE("custom field pointers select what to check", "[cli]") {
  TempDir dir;
  test::write_file(dir / "in.jsonl", "{\"id\":1,\"note\":\"hello\"}\n{\"id\":2}\n{\"id\":3,\"note\":5}\n");
  auto result = run_airlock({"run", dir / "in.jsonl", "-o", dir / "run", "--fields", "/note", "-q"});
  REQUIRE(result.exit_code == 0);
  CHECK(test::read_file(dir / "run/clean.jsonl") == "{\"id\":1,\"note\":\"hello\"}\n");
  std::string quarantine = test::read_file(dir / "run/quarantine.jsonl");
  CHECK_THAT(quarantine, Catch::Contains("missing_field") && Catch::Contains("field_type"));
}
