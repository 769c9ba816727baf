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

struct InputSummary {
  io::InputInfo info;
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
  io::ByteSink* log = nullptr;  // optional: what stages append to Record::log
};

// Opened inputs, ready to run: all files are opened before any output is
// created, so a missing input fails the run before it starts.
struct OpenedInputs {
  std::vector<io::InputInfo> infos;
  std::vector<std::unique_ptr<io::ByteSource>> sources;
};
Result<OpenedInputs> open_inputs(const std::vector<std::string>& paths);

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

// The run directory of `airlock run`: the clean output, the quarantine and
// summary.json, written under temporary names and published together by
// commit(). The quarantine is always encrypted, the clean output unless
// asked otherwise; nothing is ever written in plaintext first. Refuses an
// output that would overwrite one of the inputs, and existing outputs
// unless `force`.
class RunDirectory {
 public:
  static constexpr const char* kClean = "clean.jsonl";
  static constexpr const char* kCleanEncrypted = "clean.jsonl.age";
  static constexpr const char* kQuarantineEncrypted = "quarantine.jsonl.age";
  static constexpr const char* kSummary = "summary.json";
  static constexpr const char* kPseudonymKey = "pseudonym-key.age";

  static Result<std::unique_ptr<RunDirectory>> create(const std::string& path, bool force,
                                                      const std::vector<io::InputInfo>& inputs,
                                                      const OutputProtection& protection);
  ~RunDirectory();
  Sinks sinks();
  // Adds a small file, encrypted to the run's recipients like the outputs
  // (the generated pseudonym key), published with them.
  Status add_encrypted_file(const char* name, std::string_view content);
  // Finishes the encrypted streams, writes summary.json and publishes all.
  Status commit(const std::string& summary_json);
  // The names and encryption of the outputs, for the summary.
  OutputFile clean_file() const;
  OutputFile quarantine_file() const;

 private:
  RunDirectory() = default;
  std::string path_;
  bool force_ = false;
  std::unique_ptr<io::AtomicFile> clean_;
  std::unique_ptr<io::AtomicFile> quarantine_;
  std::unique_ptr<io::AtomicFile> summary_;
  std::unique_ptr<crypto::EncryptingSink> clean_encrypted_;  // null when the clean output is plaintext
  std::unique_ptr<crypto::EncryptingSink> quarantine_encrypted_;
  std::vector<crypto::Recipient> recipients_;
  std::vector<std::unique_ptr<io::AtomicFile>> extra_files_;
};

}  // namespace airlock::pipeline
