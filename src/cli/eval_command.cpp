// airlock eval: precision and recall of findings against labelled data.
#include <cstdio>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "detect/evaluation.h"

namespace airlock::cli {
namespace {

const char kEvalHelp[] = R"(Usage: airlock eval --truth FILE --findings FILE

Compares findings (from airlock scan) with a labelled set and prints, per
entity, the labelled values found, the findings that match no labelled value
(false positives), the labelled values missed, precision and recall.

Both files are JSON Lines with "line", "path", "start", "end" (code points) and
"entity" — the findings format; truth lines name real values only. A finding
counts for a labelled value of the same entity, line and path whose span it
overlaps.

Exit status: 0 the table was printed; 2 usage error; 3 a file could not be
read or holds a malformed line (named with its line number).
)";

}  // namespace

int eval_command(const std::vector<std::string>& args) {
  Result<ParsedArgs> parsed =
      parse_args(args, {{"--truth", "", true}, {"--findings", "", true}, {"--help", "-h", false}});
  if (!parsed.ok()) return report_usage_error("eval", parsed.error());
  if (parsed->has("--help")) {
    std::fputs(kEvalHelp, stdout);
    return 0;
  }
  if (!parsed->has("--truth") || !parsed->has("--findings") || !parsed->positionals().empty()) {
    return report_usage_error("eval", usage_error("give --truth FILE and --findings FILE"));
  }
  Result<std::vector<detect::Span>> truth = detect::read_spans(parsed->value("--truth"));
  if (!truth.ok()) return report_error(truth.error());
  Result<std::vector<detect::Span>> found = detect::read_spans(parsed->value("--findings"));
  if (!found.ok()) return report_error(found.error());
  std::cout << detect::evaluation_table(detect::evaluate(truth.value(), found.value()));
  return 0;
}

}  // namespace airlock::cli
