// airlock validate: would the fine-tuning service accept this file?
#include <cstdio>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "io/io.h"
#include "record/finetune.h"

namespace airlock::cli {
namespace {

const char kValidateHelp[] = R"(Usage: airlock validate INPUT [--json]

Checks a chat fine-tuning file (JSON Lines; - for standard input; .gz and .zst
read transparently) the way the fine-tuning service does, and reports per
kind of problem how many examples have it and the first line numbers:

  invalid_json, invalid_utf8, not_object, unrecognized_key, missing_messages,
  message_not_object, unrecognized_message_key, message_missing_role,
  unknown_role, message_missing_content, bad_content_part, bad_tool_calls,
  bad_tools, bad_weight (not 0 or 1, or not on an assistant message),
  no_assistant_message, too_few_examples (fewer than 10), too_large;
  and, as a warning, duplicate records.

Token counts and cost estimates are not part of this version.

Options:
  --json       the report as JSON on standard output
  -h, --help   this text

Exit status: 0 the file would be accepted; 1 it would be rejected; 2 usage
error; 3 the input could not be read.
)";

constexpr size_t kMaxLine = 16u << 20;

}  // namespace

int validate_command(const std::vector<std::string>& args) {
  Result<ParsedArgs> parsed = parse_args(args, {{"--json", "", false}, {"--help", "-h", false}});
  if (!parsed.ok()) return report_usage_error("validate", parsed.error());
  if (parsed->has("--help")) {
    std::fputs(kValidateHelp, stdout);
    return 0;
  }
  if (parsed->positionals().size() != 1) return report_usage_error("validate", usage_error("give one INPUT"));
  Result<std::unique_ptr<io::ByteSource>> source = io::open_input(parsed->positionals()[0], nullptr);
  if (!source.ok()) return report_error(source.error());

  record::FineTuneChecker checker;
  std::string pending;
  uint64_t line_number = 0;
  bool skipping = false;  // inside a line over the limit
  std::string chunk(1 << 20, '\0');
  for (;;) {
    Result<size_t> got = source.value()->read(chunk.data(), chunk.size());
    if (!got.ok()) return report_error(got.error());
    bool end = got.value() == 0;
    std::string_view data(chunk.data(), got.value());
    while (!data.empty()) {
      size_t newline = data.find('\n');
      std::string_view piece = data.substr(0, newline);
      if (!skipping) pending.append(piece);
      if (pending.size() > kMaxLine) {
        skipping = true;
        pending.clear();
      }
      if (newline == std::string_view::npos) break;
      ++line_number;
      if (skipping) {
        checker.add_oversize_line(line_number);
      } else {
        checker.add_line(pending, line_number);
      }
      pending.clear();
      skipping = false;
      data.remove_prefix(newline + 1);
    }
    if (end) break;
  }
  if (skipping) {
    checker.add_oversize_line(++line_number);
  } else if (!pending.empty()) {
    checker.add_line(pending, ++line_number);
  }
  checker.finish();
  std::cout << (parsed->has("--json") ? checker.report_json() : checker.report_text());
  return checker.accepted() ? 0 : 1;
}

}  // namespace airlock::cli
