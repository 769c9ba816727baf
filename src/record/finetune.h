// Checking a chat fine-tuning file the way the fine-tuning service does
// (OpenAI's chat format): one problem kind per rule the service enforces,
// with counts and the first lines of each, before anyone pays for a job.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace airlock::record {

struct FineTuneIssue {
  uint64_t count = 0;
  std::vector<uint64_t> first_lines;  // at most kFirstLines
};

class FineTuneChecker {
 public:
  static constexpr size_t kFirstLines = 5;
  static constexpr uint64_t kMinimumExamples = 10;

  // Checks one line (1-based `line_number`); blank lines are skipped.
  void add_line(std::string_view line, uint64_t line_number);
  // A line too long to hold (over 16 MiB): an example the service refuses.
  void add_oversize_line(uint64_t line_number);
  // Checks that apply to the whole file (the minimum number of examples).
  void finish();

  uint64_t examples() const { return examples_; }
  // Problems that make the service reject the file, by kind
  // ("missing_messages", "unknown_role", …), and warnings ("duplicate").
  const std::map<std::string, FineTuneIssue>& errors() const { return errors_; }
  const std::map<std::string, FineTuneIssue>& warnings() const { return warnings_; }
  bool accepted() const { return errors_.empty(); }

  // The report as text, or as JSON with --json.
  std::string report_text() const;
  std::string report_json() const;

 private:
  void error(const std::string& kind, uint64_t line);
  void warning(const std::string& kind, uint64_t line);

  uint64_t examples_ = 0;
  std::map<std::string, FineTuneIssue> errors_;
  std::map<std::string, FineTuneIssue> warnings_;
  std::set<std::string> seen_digests_;
};

}  // namespace airlock::record
