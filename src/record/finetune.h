// Checking a fine-tuning file the way the fine-tuning service does (OpenAI's
// chat and preference formats, and Batch API request files): one problem kind
// per rule the service enforces, with counts and the first lines of each,
// and exact token counts with the cost they imply, before anyone pays for a
// job.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "tokens/tokens.h"

namespace airlock::record {

enum class FineTuneFormat { kAuto, kChat, kPreference, kBatch };
std::string_view format_name(FineTuneFormat format);  // "chat"
Result<FineTuneFormat> format_from_name(std::string_view name);

// Every error kind the checker can report: a closed list (docs/cli.md).
extern const std::vector<std::string_view> kFineTuneErrorKinds;

// A model's fine-tuning figures, from policies/models.yaml.
struct ModelLimits {
  std::string name;
  tokens::Encoding encoding = tokens::Encoding::kO200kBase;
  double training_usd_per_million = 0;
  uint64_t context_tokens = 0;  // the longest example the service trains on
  uint64_t minimum_examples = 10;
};

class ModelCatalog {
 public:
  // Reads policies/models.yaml; errors name the file, the line and the reason.
  static Result<ModelCatalog> load(const std::string& path);
  // By name or alias; a usage error naming the known models otherwise.
  Result<ModelLimits> find(std::string_view name) const;
  const std::string& default_model() const { return default_; }
  const std::string& taken() const { return taken_; }  // when the figures were taken

 private:
  std::string file_;
  std::string taken_;
  std::string default_;
  std::vector<ModelLimits> models_;
  std::map<std::string, size_t, std::less<>> names_;  // names and aliases → models_
};

struct FineTuneOptions {
  FineTuneFormat format = FineTuneFormat::kChat;  // kAuto: from the first record
  std::optional<ModelLimits> model;               // none: no token counts
  uint64_t epochs = 3;
  std::string prices_taken;  // the date shown beside the cost
};

struct FineTuneIssue {
  uint64_t count = 0;
  std::vector<uint64_t> first_lines;  // at most kFirstLines
};

// Token counts of the accepted examples under one encoding.
struct TokenTotals {
  uint64_t content = 0;               // message text alone
  uint64_t total = 0;                 // with OpenAI's per-message overhead
  uint64_t trained = 0;               // assistant text with weight 1
  std::vector<uint64_t> per_example;  // each example's total
};

class FineTuneChecker {
 public:
  static constexpr size_t kFirstLines = 5;
  static constexpr uint64_t kMinimumExamples = 10;  // without a model
  static constexpr uint64_t kMaximumBatchRequests = 50000;

  FineTuneChecker() = default;
  explicit FineTuneChecker(FineTuneOptions options);

  // Checks one line (1-based `line_number`); blank lines are skipped.
  void add_line(std::string_view line, uint64_t line_number);
  // A line too long to hold (over 16 MiB): an example the service refuses.
  void add_oversize_line(uint64_t line_number);
  // Checks that apply to the whole file (the minimum number of examples).
  void finish();

  uint64_t examples() const { return examples_; }
  FineTuneFormat format() const { return options_.format; }  // after auto-detection
  // Problems that make the service reject the file, by kind
  // ("missing_messages", "unknown_role", …), and warnings ("duplicate").
  const std::map<std::string, FineTuneIssue>& errors() const { return errors_; }
  const std::map<std::string, FineTuneIssue>& warnings() const { return warnings_; }
  bool accepted() const { return errors_.empty(); }
  // Empty unless a model was given.
  const std::map<tokens::Encoding, TokenTotals>& tokens() const { return tokens_; }

  // The report as text, or as JSON with --json (docs/formats.md).
  std::string report_text() const;
  std::string report_json() const;
  // trained tokens × epochs × the model's price; 0 without a model or for
  // a Batch file (no training).
  double estimated_cost_usd() const;

  struct Example;  // the text of one record, as it is counted (finetune.cpp)

 private:
  void error(const std::string& kind, uint64_t line);
  void warning(const std::string& kind, uint64_t line);
  void count_tokens(const Example& example, uint64_t line);
  uint64_t minimum_examples() const;
  std::string tokens_text() const;
  std::string tokens_json() const;

  FineTuneOptions options_;
  uint64_t examples_ = 0;
  bool line_failed_ = false;
  std::map<std::string, FineTuneIssue> errors_;
  std::map<std::string, FineTuneIssue> warnings_;
  std::set<std::string> seen_digests_;
  std::set<std::string, std::less<>> seen_custom_ids_;
  std::map<tokens::Encoding, TokenTotals> tokens_;
};

}  // namespace airlock::record
