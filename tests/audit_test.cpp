// The audit trail, signed manifest, reports and gate: runs of the airlock
// binary, then `airlock audit verify` on the untouched run and on copies
// tampered with in every way the audit must catch.
#include <simdjson.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "audit/audit.h"
#include "test_util.h"

using namespace airlock;
using test::read_file;
using test::run_airlock;
using test::TempDir;
using test::write_file;
namespace fs = std::filesystem;

namespace {

// Values planted in the input: none may appear in any file that describes
// the run.
const std::vector<std::string> kPlanted = {"jane.doe@example.org", "4111 1111 1111 1111", "536-22-8791",
                                           "sk-proj-Tq8vW2mN5bX7cR4pL9kH3jF6gD1sA0zYeUiOoPqRwEtQx"};

std::string chat(const std::string& user, const std::string& assistant = "Noted.") {
  return R"({"messages":[{"role":"user","content":")" + user + R"("},{"role":"assistant","content":")" + assistant +
         R"("}]})" "\n";
}

std::string planted_input() {
  std::string text;
  for (int i = 0; i < 60; ++i) text += chat("question " + std::to_string(i) + " about the invoice");
  text += chat("mail me at jane.doe@example.org please");
  text += chat("my card is 4111 1111 1111 1111", "Thanks, I will not repeat it.");
  text += chat("SSN 536-22-8791 for the form");
  text += chat("use OPENAI_API_KEY=sk-proj-Tq8vW2mN5bX7cR4pL9kH3jF6gD1sA0zYeUiOoPqRwEtQx in the script");
  text += "{\"messages\": not json\n";
  return text;
}

// A key pair, a signing key and a run of the default policy over the planted input.
struct SignedRun {
  TempDir dir;
  std::string identity, recipient, signing_key, public_key;
  std::string out;
  test::ProcessResult result;

  explicit SignedRun(std::vector<std::string> extra = {}, const std::string& input = planted_input()) {
    identity = dir / "id.txt";
    auto made = run_airlock({"keygen", "-o", identity});
    REQUIRE(made.exit_code == 0);
    recipient = made.out.substr(made.out.find("age1"));
    recipient = recipient.substr(0, recipient.find('\n'));
    signing_key = dir / "sign.key";
    auto signing = run_airlock({"keygen", "--signing", "-o", signing_key});
    REQUIRE(signing.exit_code == 0);
    public_key = signing.out.substr(signing.out.find("ed25519:"));
    public_key = public_key.substr(0, public_key.find('\n'));
    write_file(dir / "input.jsonl", input);
    out = dir / "run";
    std::vector<std::string> args = {"run", dir / "input.jsonl", "-o", out, "-r", recipient, "--signing-key", signing_key,
                                     "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    result = run_airlock(args);
  }

  // A copy of the run folder to tamper with.
  std::string copy(const std::string& name) {
    std::string path = dir / name;
    fs::copy(out, path, fs::copy_options::recursive);
    return path;
  }
  test::ProcessResult verify(const std::string& folder) { return run_airlock({"audit", "verify", folder, "--public-key", public_key}); }
};

std::vector<std::string> audit_lines(const std::string& folder) {
  return test::split_lines(read_file(folder + "/audit.jsonl"));
}
void write_lines(const std::string& path, const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  write_file(path, text);
}

}  // namespace

TEST_CASE("a signed run verifies, and its reports agree with its audit log", "[audit]") {
  SignedRun run;
  REQUIRE(run.result.exit_code == 0);
  for (const char* name : {"audit.jsonl", "manifest.json", "manifest.sig", "report.json", "report.html", "summary.json",
                           "audit-key.age", "clean.jsonl.age", "quarantine.jsonl.age"}) {
    CHECK(test::exists(run.out + "/" + name));
  }
  auto verified = run.verify(run.out);
  CHECK(verified.exit_code == 0);
  CHECK_THAT(verified.out, Catch::Contains("signature: valid") && Catch::Contains(": OK") &&
                               Catch::Contains("chain intact"));

  // Per-record entries: one per record, in input order, actions matching the report.
  simdjson::dom::parser parser;
  std::map<std::string, uint64_t> actions;
  uint64_t last_line = 0;
  for (const std::string& line : audit_lines(run.out)) {
    simdjson::dom::element entry = parser.parse(line);
    if (std::string_view(entry["type"]) != "record") continue;
    CHECK(uint64_t(entry["line"]) > last_line);
    last_line = uint64_t(entry["line"]);
    CHECK(std::string_view(entry["digest"]).size() == 64);
    ++actions[std::string(std::string_view(entry["action"]))];
  }
  simdjson::dom::element report = parser.load(run.out + "/report.json");
  CHECK(uint64_t(report["records"]["in"]) == 65);
  CHECK(actions["clean"] + actions["changed"] == uint64_t(report["records"]["clean"]));
  CHECK(actions["changed"] == uint64_t(report["records"]["changed"]));
  CHECK(actions["quarantined"] == uint64_t(report["records"]["quarantined"]));
  CHECK(uint64_t(report["entities"]["EMAIL_ADDRESS"]["found"]) == 1);
  CHECK(uint64_t(report["verification"]["rescanned"]) == actions["changed"]);
  CHECK(uint64_t(report["verification"]["findings"]) == 0);
  CHECK(std::string_view(report["verdict"]) == "pass");

  // The manifest lists every file with its digest, and the chain's head.
  simdjson::dom::element manifest = parser.load(run.out + "/manifest.json");
  CHECK(std::string_view(manifest["signer"]) == run.public_key);
  CHECK(uint64_t(manifest["audit"]["entries"]) == audit_lines(run.out).size());
}

TEST_CASE("no planted value appears in the audit log, manifest or reports", "[audit]") {
  SignedRun run;
  REQUIRE(run.result.exit_code == 0);
  for (const char* name : {"audit.jsonl", "manifest.json", "manifest.sig", "report.json", "report.html", "summary.json"}) {
    std::string text = read_file(run.out + "/" + name);
    REQUIRE_FALSE(text.empty());
    for (const std::string& value : kPlanted) {
      INFO(name << " must not contain a planted value");
      CHECK(text.find(value) == std::string::npos);
    }
  }
  for (const std::string& value : kPlanted) CHECK(run.result.err.find(value) == std::string::npos);
}

TEST_CASE("every tampering with a run is reported, with what and where", "[audit]") {
  SignedRun run;
  REQUIRE(run.result.exit_code == 0);
  REQUIRE(run.verify(run.out).exit_code == 0);
  std::vector<std::string> lines = audit_lines(run.out);
  REQUIRE(lines.size() > 10);
  // Verifies a copy of the run whose audit log is `edited`.
  auto verify_log = [&](const std::string& name, const std::vector<std::string>& edited) {
    std::string copy = run.copy(name);
    write_lines(copy + "/audit.jsonl", edited);
    auto v = run.verify(copy);
    CHECK(v.exit_code == 1);
    return v.out;
  };

  SECTION("a changed byte in an entry") {
    std::vector<std::string> edited = lines;
    size_t at = edited[5].find("\"line\":");
    edited[5][at + 7] = edited[5][at + 7] == '9' ? '8' : '9';
    CHECK_THAT(verify_log("changed", edited), Catch::Contains("audit.jsonl line 7: does not follow line 6"));
  }
  SECTION("an entry deleted") {
    std::vector<std::string> edited = lines;
    edited.erase(edited.begin() + 4);
    CHECK_THAT(verify_log("deleted", edited), Catch::Contains("audit.jsonl line 5: seq 5 where 4 was expected"));
  }
  SECTION("an entry inserted") {
    std::vector<std::string> edited = lines;
    edited.insert(edited.begin() + 3, edited[3]);
    CHECK_THAT(verify_log("inserted", edited), Catch::Contains("audit.jsonl line 5: seq 3 where 4 was expected"));
  }
  SECTION("entries reordered") {
    std::vector<std::string> edited = lines;
    std::swap(edited[2], edited[3]);
    CHECK_THAT(verify_log("reordered", edited), Catch::Contains("audit.jsonl line 3: seq 3 where 2 was expected"));
  }
  SECTION("a truncated log") {
    std::vector<std::string> edited(lines.begin(), lines.end() - 2);
    CHECK_THAT(verify_log("truncated", edited), Catch::Contains("without its footer (the log was truncated)"));
  }
  SECTION("the whole log rewritten with a valid chain still differs from the signed head") {
    std::string copy = run.copy("rewritten");
    struct StringSink : io::ByteSink {
      std::string bytes;
      Status write(std::string_view b) override {
        bytes.append(b);
        return ok_status();
      }
      Status finish() override { return ok_status(); }
    } sink;
    audit::ChainWriter writer(sink);
    simdjson::dom::parser parser;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (i == 4) continue;  // drop one record entry, then re-chain the rest
      std::string entry = lines[i];
      size_t body = entry.find(",\"type\"");
      REQUIRE(writer.append("{" + entry.substr(body + 1)).ok());
    }
    write_file(copy + "/audit.jsonl", sink.bytes);
    auto v = run.verify(copy);
    CHECK(v.exit_code == 1);
    CHECK_THAT(v.out, Catch::Contains("entries, the manifest says"));
    CHECK_THAT(v.out, Catch::Contains("audit.jsonl: ") && Catch::Contains("the manifest says"));
  }
  SECTION("a swapped output file") {
    std::string copy = run.copy("swapped");
    fs::copy_file(copy + "/quarantine.jsonl.age", copy + "/clean.jsonl.age", fs::copy_options::overwrite_existing);
    auto v = run.verify(copy);
    CHECK(v.exit_code == 1);
    CHECK_THAT(v.out, Catch::Contains("clean.jsonl.age: "));
  }
  SECTION("a manifest edited after signing") {
    std::string copy = run.copy("edited");
    std::string manifest = read_file(copy + "/manifest.json");
    size_t at = manifest.find("\"quarantined\":2");
    REQUIRE(at != std::string::npos);
    manifest.replace(at, 15, "\"quarantined\":0");
    write_file(copy + "/manifest.json", manifest);
    auto v = run.verify(copy);
    CHECK(v.exit_code == 1);
    CHECK_THAT(v.out, Catch::Contains("the signature does not match manifest.json"));
  }
  SECTION("a manifest signed by another key") {
    std::string copy = run.copy("resigned");
    std::string other = run.dir / "other.key";
    REQUIRE(run_airlock({"keygen", "--signing", "-o", other}).exit_code == 0);
    auto v = run_airlock({"audit", "verify", copy, "--public-key", other});
    CHECK(v.exit_code == 1);
    CHECK_THAT(v.out, Catch::Contains("signed by another key"));
  }
  SECTION("the signature removed") {
    std::string copy = run.copy("unsigned");
    fs::remove(copy + "/manifest.sig");
    auto v = run.verify(copy);
    CHECK(v.exit_code == 1);
    CHECK_THAT(v.out, Catch::Contains("manifest.sig: missing"));
  }
}

TEST_CASE("an unsigned run says so, and verifies only for integrity when asked", "[audit]") {
  TempDir dir;
  auto key = run_airlock({"keygen", "-o", dir / "id.txt"});
  std::string recipient = key.out.substr(key.out.find("age1"), 62);
  write_file(dir / "in.jsonl", chat("hello"));
  auto run = run_airlock({"run", dir / "in.jsonl", "-o", dir / "run", "-r", recipient});
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.err, Catch::Contains("not signed"));
  CHECK_THAT(read_file(dir / "run/report.html"), Catch::Contains("unsigned"));
  CHECK_FALSE(test::exists(dir / "run/manifest.sig"));
  auto strict = run_airlock({"audit", "verify", dir / "run", "--allow-unsigned"});
  CHECK(strict.exit_code == 0);
  CHECK_THAT(strict.out, Catch::Contains("(unsigned)"));
  auto refused = run_airlock({"audit", "verify", dir / "run"});
  CHECK(refused.exit_code == 2);
  auto missing = run_airlock({"audit", "verify", dir / "no-such-run", "--allow-unsigned"});
  CHECK(missing.exit_code == 3);
  CHECK_THAT(missing.err, Catch::Contains("no-such-run: not a folder"));
}

TEST_CASE("audit level summary keeps the header, totals and footer only", "[audit]") {
  SignedRun run({"--audit-level", "summary"});
  REQUIRE(run.result.exit_code == 0);
  std::vector<std::string> lines = audit_lines(run.out);
  REQUIRE(lines.size() == 3);
  CHECK_THAT(lines[0], Catch::Contains("\"type\":\"header\""));
  CHECK_THAT(lines[1], Catch::Contains("\"type\":\"totals\"") && Catch::Contains("EMAIL_ADDRESS"));
  CHECK_THAT(lines[2], Catch::Contains("\"type\":\"footer\""));
  CHECK(run.verify(run.out).exit_code == 0);
}

TEST_CASE("the gate fails a run on per-entity limits, and verify --require-pass fails it too", "[audit]") {
  TempDir policy_dir;
  std::string policy = policy_dir / "strict.yaml";
  write_file(policy, "policy: strict\nversion: \"1\"\nextends: " + std::string(AIRLOCK_SOURCE_DIR) +
                         "/policies/fine-tune-upload.yaml\ngate:\n  max_findings:\n    EMAIL_ADDRESS: 0\n");
  SignedRun run({"--policy", policy});
  CHECK(run.result.exit_code == 1);
  CHECK_THAT(run.result.err, Catch::Contains("1 findings of EMAIL_ADDRESS, above the policy's 0 (gate: max_findings)"));
  simdjson::dom::parser parser;
  simdjson::dom::element manifest = parser.load(run.out + "/manifest.json");
  CHECK(std::string_view(manifest["verdict"]) == "fail");
  CHECK(run.verify(run.out).exit_code == 0);  // intact, though failed
  auto strict = run_airlock({"audit", "verify", run.out, "--public-key", run.public_key, "--require-pass"});
  CHECK(strict.exit_code == 1);
  CHECK_THAT(strict.out, Catch::Contains("the verdict is fail"));
}

TEST_CASE("the verification pass catches what an edit leaves or creates in the output", "[audit]") {
  // Redacting rule A's match puts "]" before lowercase letters, which is
  // what rule B looks for: the output holds a finding the input did not.
  TempDir dir;
  write_file(dir / "pack.yaml", R"(pack: tricky
version: "1"
rules:
  - id: tricky.secret
    entity: TEST_SECRET
    pattern: 'secret[0-9]+'
    score: 0.9
    examples:
      match: ["secret123", "a secret9 b", "xsecret42"]
      no_match: ["secret", "sec123", "nothing"]
  - id: tricky.bracket
    entity: TEST_BRACKET
    pattern: '\][a-z]{3}'
    score: 0.9
    examples:
      match: ["]abc", "x]def", "]ghi!"]
      no_match: ["abc", "] abc", "]AB"]
)");
  write_file(dir / "policy.yaml", "policy: tricky\nversion: \"1\"\nrules: [" + std::string(dir / "pack.yaml") +
                                      "]\nactions:\n  \"*\": redact\n");
  SignedRun run({"--policy", dir / "policy.yaml"}, chat("the code is secret123abc today"));
  CHECK(run.result.exit_code == 1);
  CHECK_THAT(run.result.err, Catch::Contains("the verification pass found 1 findings"));
  CHECK_THAT(read_file(run.out + "/audit.jsonl"), Catch::Contains("\"leftover_findings\":1"));
}

TEST_CASE("audit merge combines shard runs into one signed manifest whose counts add up", "[audit]") {
  SignedRun first;
  REQUIRE(first.result.exit_code == 0);
  // A second shard, signed with the same key.
  write_file(first.dir / "shard2.jsonl", chat("another question") + chat("and one more"));
  std::string second = first.dir / "run2";
  REQUIRE(run_airlock({"run", first.dir / "shard2.jsonl", "-o", second, "-r", first.recipient, "--signing-key",
                       first.signing_key, "-q"})
              .exit_code == 0);
  std::string merged = first.dir / "merged";
  auto merge = run_airlock({"audit", "merge", first.out, second, "-o", merged, "--public-key", first.public_key,
                            "--signing-key", first.signing_key});
  REQUIRE(merge.exit_code == 0);
  simdjson::dom::parser parser;
  simdjson::dom::element manifest = parser.load(merged + "/manifest.json");
  CHECK(std::string_view(manifest["kind"]) == "merged");
  CHECK(uint64_t(manifest["counts"]["records"]) == 67);
  CHECK(std::string_view(manifest["verdict"]) == "pass");
  auto verified = first.verify(merged);
  CHECK(verified.exit_code == 0);
  CHECK_THAT(verified.out, Catch::Contains("2 shards verified"));

  // A shard changed after the merge fails the merged manifest.
  write_file(second + "/report.json", "{}");
  auto broken = first.verify(merged);
  CHECK(broken.exit_code == 1);
  CHECK_THAT(broken.out, Catch::Contains("shard " ) && Catch::Contains("report.json"));

  // Shards made under different policies are refused.
  std::string other = first.dir / "run3";
  REQUIRE(run_airlock({"run", first.dir / "shard2.jsonl", "-o", other, "-r", first.recipient, "--signing-key",
                       first.signing_key, "-q", "--policy", std::string(AIRLOCK_SOURCE_DIR) + "/policies/secrets-only.yaml"})
              .exit_code == 0);
  auto refused = run_airlock({"audit", "merge", first.out, other, "-o", first.dir / "m2", "--public-key",
                              first.public_key});
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Catch::Contains("shards must share one policy"));
}

TEST_CASE("report.html is one self-contained page that renders in headless Chromium", "[audit]") {
  SignedRun run;
  REQUIRE(run.result.exit_code == 0);
  std::string html = read_file(run.out + "/report.html");
  CHECK_THAT(html, Catch::StartsWith("<!DOCTYPE html>"));
  for (const char* external : {"<script", "src=", "href=", "@import", "url("}) {
    INFO("external asset or script: " << external);
    CHECK(html.find(external) == std::string::npos);
  }
  auto dom = test::run_process("chromium", {"--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                                            "file://" + run.out + "/report.html"});
  REQUIRE(dom.exit_code == 0);
  CHECK_THAT(dom.out, Catch::Contains("airlock run report") && Catch::Contains("PASS") &&
                          Catch::Contains("Findings per entity") && Catch::Contains("EMAIL_ADDRESS"));
  std::string shot = run.dir / "report.png";
  auto screenshot = test::run_process("chromium", {"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                                   "--window-size=1100,1600", "--screenshot=" + shot,
                                                   "file://" + run.out + "/report.html"});
  REQUIRE(screenshot.exit_code == 0);
  std::string png = read_file(shot);
  REQUIRE(png.size() > 20000);  // a page with charts, not a blank one
  CHECK(png.substr(1, 3) == "PNG");
}

TEST_CASE("a record's keys that hold data never reach the reports", "[audit]") {
  // With --fields all, a key is part of a field's pointer; one that is not a
  // plain name is reported as {key}.
  SignedRun run({"--fields", "all"}, R"({"contacts":{"jane.doe@example.org":"please mail jane.doe@example.org about the contract renewal before the end of the month"}})" "\n");
  REQUIRE(run.result.exit_code == 0);
  std::string report = read_file(run.out + "/report.json");
  CHECK_THAT(report, Catch::Contains(R"("fields":{"/contacts/{key}":1})"));
  for (const char* name : {"report.json", "report.html", "audit.jsonl", "manifest.json"}) {
    CHECK(read_file(run.out + "/" + name).find("jane.doe") == std::string::npos);
  }
}
