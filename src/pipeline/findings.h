// The detection stage of a pipeline, and the findings it writes.
//
// FindingsStage scans every selected field with a detect::Scanner and
// appends one line per finding to the record's log, in the findings format
// of docs/formats.md (never the matched value). A SarifSink turns those
// lines into a SARIF 2.1.0 document.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "detect/detect.h"
#include "io/io.h"
#include "pipeline/pipeline.h"

namespace airlock::pipeline {

class FindingsStage final : public Stage {
 public:
  enum class Format { kJsonl, kSarif };  // kSarif: one SARIF result object a line, for SarifSink
  FindingsStage(const detect::Scanner& scanner, Format format);
  std::string_view name() const override { return "detect"; }
  // A string whose normalised view would grow past the limit sends the
  // record to quarantine (normalize_limit); a scan error stops the run.
  Status process(Record& record) const override;

  // Findings per rule (index into scanner.rules()), and records with any.
  std::vector<uint64_t> findings_per_rule() const;
  uint64_t records_with_findings() const { return records_with_findings_.load(); }

 private:
  void append_jsonl(const Record& record, const record::TextField& field, const detect::Finding& finding) const;
  void append_sarif(const Record& record, const record::TextField& field, const detect::Finding& finding) const;

  const detect::Scanner& scanner_;
  Format format_;
  std::unique_ptr<std::atomic<uint64_t>[]> per_rule_;
  mutable std::atomic<uint64_t> records_with_findings_{0};
};

// Wraps the SARIF result lines of a FindingsStage into a SARIF 2.1.0 log
// written to `inner`: the header (tool and rules) first, the results as
// one array, the closing brackets on finish().
class SarifSink final : public io::ByteSink {
 public:
  SarifSink(io::ByteSink& inner, const detect::Scanner& scanner, std::string_view version);
  Status write(std::string_view lines) override;
  Status finish() override;

 private:
  Status start();
  io::ByteSink& inner_;
  const detect::Scanner& scanner_;
  std::string version_;
  bool started_ = false;
  bool first_result_ = true;
  std::string pending_;  // an incomplete last line
};

// The per-entity table printed after a scan.
std::string findings_table(const detect::Scanner& scanner, const FindingsStage& stage);

}  // namespace airlock::pipeline
