// audit: the proof of what a run did.
//
//   audit.jsonl    one JSON object a line, hash-chained: a header (who, when,
//                  policy, rule packs, inputs with digests), one entry per
//                  record decision, per-entity totals, and a footer (counts,
//                  outputs with digests, verdict). Each entry carries "seq"
//                  and "prev", the SHA-256 of the previous line's bytes.
//   manifest.json  the run in one object: digests of inputs and outputs,
//                  counts, verdict and the chain's head; signed with Ed25519
//                  in manifest.sig.
//   report.json, report.html   the same figures for people.
//
// Nothing here ever holds a matched value or a record's text: records are
// named by input and line, and identified by a keyed digest (HMAC-SHA256
// with the run's audit key), which cannot be tested against guesses.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "crypto/keyed_hash.h"
#include "crypto/signing.h"
#include "io/io.h"
#include "record/record.h"

namespace airlock::audit {

constexpr const char* kAuditFile = "audit.jsonl";
constexpr const char* kManifestFile = "manifest.json";
constexpr const char* kSignatureFile = "manifest.sig";
constexpr const char* kReportJson = "report.json";
constexpr const char* kReportHtml = "report.html";
constexpr const char* kAuditKeyFile = "audit-key.age";
// Written later, by airlock upload (here so that airlock run, which must
// clear them when it replaces a run, knows their names too).
constexpr const char* kReceiptsFile = "uploads.jsonl";
constexpr const char* kUploadStateFile = "upload-state.json";

// What a stage found in a record and did about it (names only, never values).
struct Noted {
  std::string_view entity;
  std::string_view rule;
  std::string_view action;  // "redact", "flag", "reject", ...
};

// One record's decision, as the pipeline's workers see it.
struct RecordEntry {
  size_t input = 0;       // index into the header's inputs
  uint64_t line = 0;      // 1-based
  std::string_view bytes;  // what the keyed digest covers: the line, or for an
                           // over-long line "sha256:" and its digest
  std::string_view action;  // "clean", "changed" or "quarantined"
  const std::vector<record::Problem>* problems = nullptr;
  const std::vector<Noted>* noted = nullptr;
  uint32_t leftover = 0;  // findings the verification pass saw in the output
};
// Appends the entry's JSON object and a newline (no seq/prev yet: the chain
// adds them when the log is assembled).
Status append_record_entry(const RecordEntry& entry, const crypto::KeyedDigester& digester, std::string& out);

// Writes entries as a chain: `{"seq":N,"prev":"<hex>",` + the entry's own
// keys. The first entry's prev is 64 zeros.
class ChainWriter {
 public:
  explicit ChainWriter(io::ByteSink& out) : out_(out) {}
  // `entry` is one JSON object, starting with '{', without a newline.
  Status append(std::string_view entry);
  uint64_t entries() const { return entries_; }
  const std::string& head() const { return head_; }  // SHA-256 of the last line

 private:
  io::ByteSink& out_;
  uint64_t entries_ = 0;
  std::string head_ = std::string(64, '0');
  std::string line_;
};

// ---------------------------------------------------------------------------
// The facts of a run, from which the header, footer, manifest and reports
// are written.

struct FileFacts {
  std::string path;  // inputs: as given; outputs: name in the run folder
  uint64_t size = 0;
  std::string sha256;
  bool encrypted = false;
  uint64_t plaintext_size = 0;  // encrypted outputs: before encryption
  std::string plaintext_sha256;
};

struct Counts {
  uint64_t lines = 0;        // lines read, empty ones included
  uint64_t empty_lines = 0;  // blank lines: counted, not records
  uint64_t records = 0;
  uint64_t clean = 0;
  uint64_t changed = 0;  // clean records a stage edited
  uint64_t quarantined = 0;
  uint64_t bytes = 0;                       // decompressed input bytes
  std::map<std::string, uint64_t> reasons;  // quarantine reason code → records

  void add(const Counts& other);
  bool reconciles() const { return records == clean + quarantined && lines == records + empty_lines; }
};

struct EntityFacts {
  uint64_t found = 0;
  std::map<std::string, uint64_t> actions;  // action → findings
};

struct RuleFacts {
  std::string rule;
  std::string entity;
  uint64_t found = 0;
};

// Token counts of the selected text (airlock run --count-tokens).
struct TokenFacts {
  std::string model, encoding, prices_taken;
  double usd_per_million = 0;  // training price
  uint64_t before_policy = 0;
  uint64_t after_policy = 0;
};

struct PackFacts {
  std::string name, version, sha256;
};

struct RunFacts {
  std::string airlock_version;
  std::string run_id;
  std::string started;  // UTC, ISO 8601
  std::string host;
  std::string audit_level = "records";  // or "summary"
  std::string policy_name, policy_version, policy_sha256;
  std::vector<PackFacts> packs;
  std::vector<FileFacts> inputs;
  std::vector<FileFacts> outputs;
  Counts counts;
  std::map<std::string, EntityFacts> entities;
  std::map<std::string, uint64_t> roles;   // findings per message role
  std::map<std::string, uint64_t> fields;  // findings per field (indices as *)
  std::vector<RuleFacts> top_rules;        // most findings first
  uint64_t verification_rescanned = 0;     // changed records scanned again
  uint64_t verification_findings = 0;      // findings left in the clean output
  unsigned threads = 1;
  double seconds = 0;
  std::string verdict = "pass";
  std::vector<std::string> verdict_reasons;
  std::string signer;  // "ed25519:..." or empty when unsigned
  std::optional<TokenFacts> tokens;
};

std::string header_entry(const RunFacts& facts);
std::string totals_entry(const RunFacts& facts);
std::string footer_entry(const RunFacts& facts);

struct ChainFacts {
  uint64_t entries = 0;
  std::string head;
};
// manifest.json's bytes: what is signed.
std::string manifest_json(const RunFacts& facts, const ChainFacts& chain);
// manifest.sig's content for a signature over `manifest`.
Result<std::string> sign_manifest(const crypto::SigningKey& key, std::string_view manifest);

std::string report_json(const RunFacts& facts);
// One self-contained page (inline CSS and SVG, no script, no external asset).
std::string report_html(const RunFacts& facts);
// The terminal summary's detail: findings and actions per entity, top rules.
std::string report_text(const RunFacts& facts);

// ---------------------------------------------------------------------------
// Verification of a run folder (or of a merged manifest and its shards).

struct Verification {
  std::vector<std::string> problems;  // empty: everything holds
  std::vector<std::string> checked;   // what was checked, for the report
  bool is_signed = false;
  std::string verdict;
  std::vector<std::string> verdict_reasons;
  // What the manifest says, for callers that act on a verified run (upload):
  // meaningful only when ok().
  std::string run_id;
  std::string manifest_sha256;     // of manifest.json's bytes as verified
  std::vector<FileFacts> outputs;  // as listed, each checked against its file
  bool ok() const { return problems.empty(); }
};
struct VerifyOptions {
  std::optional<std::string> public_key;  // raw 32 bytes; none: signature not checked
  bool allow_unsigned = false;
};
Verification verify_run(const std::string& dir, const VerifyOptions& options);

// Combines the manifests of runs over shards of one dataset (each verified
// first) into one manifest with summed counts; written to `out_dir` with its
// signature. Refuses shards made under different policies.
Status merge_runs(const std::vector<std::string>& dirs, const std::string& out_dir, const VerifyOptions& options,
                  const crypto::SigningKey* key, std::string_view airlock_version, bool force);

}  // namespace airlock::audit
