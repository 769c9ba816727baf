// airlock validate: would the fine-tuning service accept this file, how many
// tokens is it, and what would training on it cost?
#include <cstdio>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/model_loading.h"
#include "io/io.h"
#include "record/finetune.h"
#include "tokens/tokens.h"

namespace airlock::cli {
namespace {

const char kValidateHelp[] = R"(Usage: airlock validate INPUT [--format chat|preference|batch|auto]
                        [--model NAME] [--epochs N] [--models FILE] [--json]

Checks a fine-tuning file (JSON Lines; - for standard input; .gz and .zst
read transparently) the way the fine-tuning service does, counts its tokens
exactly with the model's encoding, and estimates the training cost. Reports
per kind of problem how many examples have it and the first line numbers:

  any format: invalid_json, invalid_utf8, not_object, unrecognized_key,
    too_large (a line over 16 MiB), too_many_tokens (an example longer than
    the model's training context)
  messages: message_not_object, unrecognized_message_key,
    message_missing_role, unknown_role, message_missing_content,
    bad_content_part, bad_tool_calls, bad_tools, bad_weight (not 0 or 1, or
    not on an assistant message)
  chat: missing_messages, no_assistant_message, too_few_examples
  preference: missing_input, bad_preferred_output, bad_non_preferred_output,
    too_few_examples
  batch: missing_custom_id, duplicate_custom_id, bad_method, bad_url,
    bad_body, too_many_requests (over 50,000)
  and, as a warning, duplicate records.

Tokens are counted as OpenAI's cookbook does (3 per message, 1 more for a
name, 3 priming the reply); trained tokens are the content of assistant
messages with weight 1, and the cost is trained tokens x epochs x the model's
price per token from the models file.

Options:
  --format F     chat (the default), preference (DPO), batch (Batch API
                 requests), or auto (from the first record)
  --model NAME   the model to fine-tune (default: the models file's default,
                 gpt-4o-2024-08-06); aliases such as gpt-4o work
  --epochs N     training epochs for the cost estimate (default 3)
  --models FILE  prices, context limits and minimum example counts
                 (default: the shipped policies/models.yaml)
  --json         the report as JSON on standard output (docs/formats.md)
  -h, --help     this text

Exit status: 0 the file would be accepted; 1 it would be rejected; 2 usage
error or a bad models file; 3 the input could not be read.
)";

constexpr size_t kMaxLine = 16u << 20;

// The checker's options from the command line and the models file.
Result<record::FineTuneOptions> checker_options(const ParsedArgs& parsed) {
  record::FineTuneOptions options;
  Result<record::FineTuneFormat> format = record::format_from_name(parsed.value("--format", "chat"));
  if (!format.ok()) return format.error();
  options.format = format.value();
  Result<uint64_t> epochs = parse_number(parsed.value("--epochs", "3"), "--epochs", 1, 100);
  if (!epochs.ok()) return epochs.error();
  options.epochs = epochs.value();
  Result<LoadedModel> model = load_model(parsed.value("--model"), parsed.value("--models"));
  if (!model.ok()) return model.error();
  options.model = model->limits;
  options.prices_taken = model->prices_taken;
  // Both encodings are counted: load the other one's table too before reading.
  for (tokens::Encoding encoding : tokens::kEncodings) {
    Result<const tokens::Tokenizer*> tokenizer = tokens::Tokenizer::get(encoding);
    if (!tokenizer.ok()) return tokenizer.error();
  }
  return options;
}

// Feeds `source` to `checker` line by line; a line over kMaxLine is counted
// without being held.
Status check_lines(io::ByteSource& source, record::FineTuneChecker& checker) {
  std::string pending;
  uint64_t line_number = 0;
  bool skipping = false;  // inside a line over the limit
  std::string chunk(1 << 20, '\0');
  for (;;) {
    Result<size_t> got = source.read(chunk.data(), chunk.size());
    if (!got.ok()) return got.error();
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
  return ok_status();
}

}  // namespace

int validate_command(const std::vector<std::string>& args) {
  Result<ParsedArgs> parsed = parse_args(args, {{"--json", "", false},
                                                {"--format", "", true},
                                                {"--model", "", true},
                                                {"--epochs", "", true},
                                                {"--models", "", true},
                                                {"--help", "-h", false}});
  if (!parsed.ok()) return report_usage_error("validate", parsed.error());
  if (parsed->has("--help")) {
    std::fputs(kValidateHelp, stdout);
    return 0;
  }
  if (parsed->positionals().size() != 1) return report_usage_error("validate", usage_error("give one INPUT"));
  Result<record::FineTuneOptions> options = checker_options(parsed.value());
  if (!options.ok()) return report_error(options.error());
  Result<std::unique_ptr<io::ByteSource>> source = io::open_input(parsed->positionals()[0], nullptr);
  if (!source.ok()) return report_error(source.error());

  record::FineTuneChecker checker(std::move(options).value());
  Status read = check_lines(*source.value(), checker);
  if (!read.ok()) return report_error(read.error());
  checker.finish();
  std::cout << (parsed->has("--json") ? checker.report_json() : checker.report_text());
  return checker.accepted() ? 0 : 1;
}

}  // namespace airlock::cli
