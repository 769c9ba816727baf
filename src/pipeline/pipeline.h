// pipeline: moves records from inputs to outputs through stages, in order.
//
//   inputs ─► reader (batches of lines) ─► thread pool: decode, stages,
//   splice ─► ordered writer ─► clean sink, quarantine sink
//
// Output is byte-identical whatever the thread count: batches are processed
// in parallel and written back in input order. The number of batches in
// flight is bounded, so memory stays flat however large the input is.
// Every record ends up in exactly one of the two sinks; the summary's counts
// reconcile (records = clean + quarantined) or the run fails.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit.h"
#include "base/status.h"
#include "crypto/age.h"
#include "io/io.h"
#include "record/record.h"

namespace airlock::pipeline {

// A record as stages see it.
struct Record {
  const std::string* source = nullptr;               // input's display name
  uint64_t line_number = 0;                          // 1-based
  std::string_view line;                             // original bytes, without the '\n'
  std::vector<record::TextField>* fields = nullptr;  // selected strings, in line order
  // A stage that adds a problem sends the record to quarantine; later stages
  // do not see it.
  std::vector<record::Problem> problems;
  // Lines a stage writes about the record (findings, audit entries): they
  // reach Sinks::log in input order, whatever the thread count.
  std::string* log = nullptr;
  // Reversible replacements, one JSON object a line {"token":…,"value":…}:
  // they reach Sinks::vault (encrypted) in input order.
  std::string* vault = nullptr;
  // What stages found and did, by entity and rule name, for the audit trail.
  std::vector<audit::Noted>* noted = nullptr;
  // Findings the verification pass saw in the record's output (see
  // Stage::verify).
  uint32_t leftover = 0;
};

// Detection, policy and other per-record work plugs in here. process() is
// called from several worker threads at once and must be thread-safe.
class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string_view name() const = 0;
  // Edits fields (TextField::replaced / replacement), adds problems, or
  // appends to the log. An error stops the whole run: for what must not
  // pass unchecked (a scan that ran out of memory), never for bad records.
  virtual Status process(Record& record) const = 0;
  // The verification pass: called for a record some stage changed, with
  // the selected fields decoded again from the output line just written
  // (the same fields as record.fields, in the same order). A stage adds to
  // record.leftover what it still finds there that it would act on.
  virtual Status verify(Record& record, const std::vector<record::TextField>& output) const {
    (void)record;
    (void)output;
    return ok_status();
  }
};

struct Progress {
  uint64_t records = 0;
  uint64_t bytes = 0;            // decompressed input bytes written out so far
  uint64_t raw_bytes_read = 0;   // bytes read from the files (compressed size)
  uint64_t raw_bytes_total = 0;  // 0 when unknown (stdin, pipes)
  double seconds = 0;
};

struct Options {
  std::vector<std::string> inputs;  // paths; "-" is standard input
  unsigned threads = 1;
  std::string fields = "auto";  // preset or pointers, see record::FieldSelector::parse
  size_t max_line_bytes = 16u << 20;
  size_t batch_bytes = 4u << 20;     // target size of a batch of lines
  size_t max_batches_in_flight = 0;  // 0: 2 × threads + 1
  // Called (from the reader thread) with notices for the user, such as the
  // preset "auto" picked for an input.
  std::function<void(const std::string&)> notice;
  // Called from the writer thread about 5 times a second while running.
  std::function<void(const Progress&)> progress;
  // When set, every record gets an audit entry in Sinks::log (see
  // audit::append_record_entry), its digest keyed with this.
  const crypto::KeyedDigester* audit_digester = nullptr;
  // Scan every changed record's output again (Stage::verify).
  bool verify_output = false;
};

// Records in, clean, changed, quarantined: the same counts the audit trail
// and the manifest carry.
using Counts = audit::Counts;

struct InputSummary {
  io::InputInfo info;
  uint64_t raw_bytes = 0;  // bytes of the file as read (compressed size)
  std::string sha256;      // of those bytes, when the inputs were opened with digests
  std::string fields;  // the selector used ("chat (…)")
  bool bom_stripped = false;
  Counts counts;
};

struct StageSummary {
  std::string name;
  uint64_t changed = 0;
  uint64_t quarantined = 0;
};

struct OutputFile {
  std::string name;  // in the run directory
  bool encrypted = false;
};

// With `airlock run --count-tokens MODEL` (pipeline/token_stage.h): the
// tokens of the selected fields of every decoded record before the policy,
// and of the clean records after it, with the model's training price.
struct TokenSummary {
  std::string model;
  std::string encoding;
  double training_usd_per_million = 0;
  std::string prices_taken;
  uint64_t before_policy = 0;
  uint64_t after_policy = 0;
};

struct Summary {
  std::vector<InputSummary> inputs;
  std::vector<StageSummary> stages;  // "decode" first, then the stages given
  Counts totals;
  unsigned threads = 1;
  double seconds = 0;
  uint64_t clean_bytes = 0;       // before encryption
  uint64_t quarantine_bytes = 0;  // before encryption
  uint64_t verification_rescanned = 0;  // changed records whose output was scanned again
  uint64_t verification_findings = 0;   // what that found (Stage::verify)
  OutputFile clean_file;          // set by the caller that chose the outputs
  OutputFile quarantine_file;
  // Set by the caller that applied a policy.
  std::string policy_name;
  std::string policy_version;
  std::string policy_sha256;      // of the effective policy
  std::string verdict = "pass";   // "pass", or "fail" when the gate refused
  std::string verdict_reason;
  // When the policy pseudonymizes or hashes: where the key came from
  // ("generated, in pseudonym-key.age" or "given") and its fingerprint.
  std::string pseudonym_key_source;
  std::string pseudonym_key_fingerprint;
  std::optional<TokenSummary> tokens;  // with --count-tokens
};

struct Sinks {
  io::ByteSink* clean = nullptr;
  io::ByteSink* quarantine = nullptr;
  io::ByteSink* log = nullptr;    // optional: what stages append to Record::log
  io::ByteSink* vault = nullptr;  // optional: what stages append to Record::vault
};

// Opened inputs, ready to run: all files are opened before any output is
// created, so a missing input fails the run before it starts.
struct OpenedInputs {
  std::vector<io::InputInfo> infos;
  std::vector<std::unique_ptr<io::ByteSource>> sources;
};
// With `digest`, each input's bytes are hashed as read (InputSummary::sha256).
Result<OpenedInputs> open_inputs(const std::vector<std::string>& paths, bool digest = false);

// Runs the pipeline over opened inputs. Errors: an input that fails mid-way
// (truncated .gz, read error), a sink that fails, counts that do not
// reconcile. The caller publishes the sinks only on success.
Result<Summary> run(const Options& options, OpenedInputs inputs, const std::vector<const Stage*>& stages,
                    const Sinks& sinks);

// The summary as JSON (summary.json) and as a short terminal report.
std::string summary_json(const Summary& summary, std::string_view version);
std::string summary_text(const Summary& summary, const std::string& out_dir);

// How a run directory protects its outputs.
struct OutputProtection {
  // The quarantine, and the clean output unless `plaintext_clean`, are
  // encrypted (age v1) to these; there must be at least one.
  std::vector<crypto::Recipient> recipients;
  bool plaintext_clean = false;  // only when asked for explicitly
};

// The run directory of `airlock run`: the clean output, the quarantine, and
// the files that describe the run (audit log, reports, summary, manifest),
// all written under temporary names and published together by publish().
// The quarantine is always encrypted, the clean output unless asked
// otherwise; nothing is ever written in plaintext first. Every file's size
// and SHA-256 are taken as it is written, for the audit trail and manifest.
// Refuses an output that would overwrite one of the inputs, and existing
// outputs unless `force`.
class RunDirectory {
 public:
  static constexpr const char* kClean = "clean.jsonl";
  static constexpr const char* kCleanEncrypted = "clean.jsonl.age";
  static constexpr const char* kQuarantineEncrypted = "quarantine.jsonl.age";
  static constexpr const char* kSummary = "summary.json";
  static constexpr const char* kPseudonymKey = "pseudonym-key.age";
  static constexpr const char* kVault = "vault.jsonl.age";

  static Result<std::unique_ptr<RunDirectory>> create(const std::string& path, bool force,
                                                      const std::vector<io::InputInfo>& inputs,
                                                      const OutputProtection& protection);
  ~RunDirectory();
  // The clean and quarantine outputs, and a scratch file (unlinked, never
  // published) for the audit's per-record entries.
  Sinks sinks();
  io::ScratchFile& scratch() { return *scratch_; }
  // Adds the encrypted vault of a reversible policy (Sinks::vault).
  Status open_vault();
  // Adds a small file, encrypted to the run's recipients like the outputs
  // (a generated key).
  Status add_encrypted_file(const char* name, std::string_view content);
  // Finishes the encrypted streams: after this, output_facts() has every
  // digest of the clean output, the quarantine and the encrypted files.
  Status finish_outputs();
  const std::vector<audit::FileFacts>& output_facts() const { return facts_; }
  // Adds a plaintext file (audit log, report, manifest), written by `write`.
  Result<audit::FileFacts> add_file(const char* name, const std::function<Status(io::ByteSink&)>& write);
  Result<audit::FileFacts> add_file(const char* name, std::string_view content);
  // Publishes every file, in the order added, after the outputs.
  Status publish();
  // The names and encryption of the outputs, for the summary.
  OutputFile clean_file() const;
  OutputFile quarantine_file() const;

 private:
  // A file being written, with what measures it on the way.
  struct Entry {
    std::unique_ptr<io::AtomicFile> file;
    std::unique_ptr<io::DigestingSink> stored;     // the bytes on disk
    std::unique_ptr<crypto::EncryptingSink> encrypted;  // null for plaintext files
    std::unique_ptr<io::DigestingSink> plaintext;  // before encryption
    bool finished = false;
  };
  RunDirectory() = default;
  Result<Entry> open_entry(const char* name, bool encrypt, mode_t mode);
  Status finish_entry(Entry& entry, const std::string& name);

  std::string path_;
  bool force_ = false;
  std::vector<crypto::Recipient> recipients_;
  Entry clean_;
  Entry quarantine_;
  Entry vault_;  // file null unless open_vault()
  std::string clean_name_;
  std::unique_ptr<io::ScratchFile> scratch_;
  std::vector<std::pair<std::string, Entry>> extra_;  // encrypted keys, then plaintext files
  std::vector<audit::FileFacts> facts_;
};

}  // namespace airlock::pipeline
