// airlock scan and airlock rules: find what must not leave, and check the
// rules that find it.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <thread>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/pipeline_options.h"
#include "cli/policy_loading.h"
#include "detect/detect.h"
#include "pipeline/findings.h"
#include "pipeline/pipeline.h"

namespace airlock::cli {
namespace {

const char kScanHelp[] = R"(Usage: airlock scan INPUT... --findings FILE [options]

Finds personal data, secrets and other listed content in each INPUT (JSON
Lines or plain text; files, - for standard input, .gz and .zst read
transparently) and writes one finding a line to FILE (- for standard output):

  {"source":"train.jsonl","line":3,"path":"/messages/1/content","start":10,
   "end":26,"byte_start":10,"byte_end":26,"entity":"EMAIL_ADDRESS",
   "rule":"pii.email","score":0.90}

start/end count code points in the decoded string (as Python does);
byte_start/byte_end count its UTF-8 bytes. The matched value itself is never
written anywhere. A table of findings per entity goes to standard error.

Options:
  --findings FILE         where findings go (required; - for standard output)
  --rules PATH            a rule pack (.yaml) or a folder of them; repeatable
                          (default: the shipped packs, %s)
  -p, --policy FILE       take the rule packs, minimum score and fields from a
                          policy instead (not with --rules)
  --format FORMAT         jsonl (default) or sarif (SARIF 2.1.0)
  --min-score X           drop findings scored below X, 0 to 1 (default 0.5)
  --fields SPEC           which strings to scan, as for airlock run (default auto)
  -j, --threads N         worker threads (default: number of cores)
  --max-line-bytes N      longest line scanned (default 16M); longer lines are
                          counted as not scanned
  -q, --quiet             no notices or table on standard error
  -h, --help              this text

Records that cannot be scanned (invalid JSON or UTF-8, over-long lines, …)
are counted in the table with their reasons; `airlock run` quarantines them.

Exit status: 0 the scan completed (with or without findings); 2 usage or rule
error; 3 an input or the findings file failed.
)";

const char kRulesHelp[] = R"(Usage: airlock rules list [PATH...]
       airlock rules test [PATH...]

list   shows every pack (name, version, file), and each rule's id, entity,
       base score and validators
test   runs every rule's examples: each `match` example must give the rule a
       finding scored at least 0.5 (the default minimum), each `no_match`
       example none. Prints the failures; exit 1 if any.

PATH is a rule pack (.yaml) or a folder of them (default: %s). A malformed
pack is refused with FILE:LINE: rule ID: reason and exit status 2.
)";

struct ScanArgs {
  pipeline::Options options;
  std::string policy;
  std::vector<std::string> rules;
  std::string findings;
  bool sarif = false;
  double min_score = 0.5;
  bool quiet = false;
};

Result<ScanArgs> parse_scan_args(const ParsedArgs& a) {
  ScanArgs scan;
  Status options = read_pipeline_options(a, scan.options);
  if (!options.ok()) return options.error();
  scan.rules = a.values("--rules");
  scan.policy = a.value("--policy");
  if (!scan.policy.empty() && !scan.rules.empty()) return usage_error("--policy and --rules do not go together");
  if (scan.rules.empty()) scan.rules.push_back(AIRLOCK_RULES_DIR);
  scan.findings = a.value("--findings");
  scan.quiet = a.has("--quiet");
  std::string format = a.value("--format", "jsonl");
  if (format != "jsonl" && format != "sarif") return usage_error("--format: '" + format + "' is not jsonl or sarif");
  scan.sarif = format == "sarif";
  if (a.has("--min-score")) {
    std::string text = a.value("--min-score");
    char* end = nullptr;
    scan.min_score = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !(scan.min_score >= 0 && scan.min_score <= 1)) {
      return usage_error("--min-score: '" + text + "' is not a number from 0 to 1");
    }
  }
  if (scan.findings.empty()) return usage_error("--findings FILE is required (- for standard output)");
  return scan;
}

Result<std::unique_ptr<detect::Scanner>> load_scanner(const std::vector<std::string>& paths, double min_score) {
  Result<std::vector<detect::RulePack>> packs = detect::load_packs(paths);
  if (!packs.ok()) return packs.error();
  detect::Scanner::Options options;
  options.min_score = min_score;
  return detect::Scanner::create(std::move(packs.value()), options);
}

// Where findings go: an atomically published file, or standard output.
struct FindingsOutput {
  std::unique_ptr<io::AtomicFile> file;
  std::unique_ptr<io::ByteSink> stdout_sink;
  std::unique_ptr<pipeline::SarifSink> sarif;
  io::ByteSink* sink = nullptr;
};

Result<FindingsOutput> open_findings(const ScanArgs& scan, const detect::Scanner& scanner,
                                     const std::vector<io::InputInfo>& inputs) {
  FindingsOutput out;
  if (scan.findings != "-") {
    if (Status s = check_not_an_input(scan.findings, inputs); !s.ok()) return s.error();
  }
  if (scan.findings == "-") {
    out.stdout_sink = io::fd_sink(STDOUT_FILENO, "standard output");
    out.sink = out.stdout_sink.get();
  } else {
    std::string path = scan.findings;
    size_t slash = path.find_last_of('/');
    std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    io::AtomicFile::Options options;
    options.replace_existing = true;  // a findings file is a report: rewritten each scan
    Result<std::unique_ptr<io::AtomicFile>> file = io::AtomicFile::create(dir, name, options);
    if (!file.ok()) return file.error();
    out.file = std::move(file.value());
    out.sink = out.file.get();
  }
  if (scan.sarif) {
    out.sarif = std::make_unique<pipeline::SarifSink>(*out.sink, scanner, AIRLOCK_VERSION);
    out.sink = out.sarif.get();
  }
  return out;
}

std::string not_scanned_line(const pipeline::Counts& totals) {
  if (totals.quarantined == 0) return "";
  std::string out = "not scanned: " + std::to_string(totals.quarantined) + " records (";
  bool first = true;
  for (const auto& [code, n] : totals.reasons) {
    out += (first ? "" : ", ") + code + " " + std::to_string(n);
    first = false;
  }
  return out + ")\n";
}

}  // namespace

int scan_command(const std::vector<std::string>& args) {
  std::vector<OptionSpec> specs = pipeline_option_specs();
  specs.insert(specs.end(), {{"--findings", "", true},
                             {"--rules", "", true},
                             {"--policy", "-p", true},
                             {"--format", "", true},
                             {"--min-score", "", true},
                             {"--quiet", "-q", false},
                             {"--help", "-h", false}});
  Result<ParsedArgs> parsed = parse_args(args, specs);
  if (!parsed.ok()) return report_usage_error("scan", parsed.error());
  if (parsed->has("--help")) {
    std::printf(kScanHelp, AIRLOCK_RULES_DIR);
    return 0;
  }
  Result<ScanArgs> scan = parse_scan_args(parsed.value());
  if (!scan.ok()) return report_usage_error("scan", scan.error());
  if (!scan->quiet) scan->options.notice = [](const std::string& text) { std::cerr << "airlock: " << text << "\n"; };

  Result<std::unique_ptr<detect::Scanner>> scanner = usage_error("no rules");
  if (!scan->policy.empty()) {
    Result<LoadedPolicy> loaded = load_policy_and_rules(scan->policy);
    if (!loaded.ok()) return report_error(loaded.error());
    if (!loaded->scanner) return report_error(usage_error(scan->policy + ": the policy names no rule pack to scan with"));
    if (!parsed->has("--min-score")) scan->min_score = loaded->policy.min_score;
    if (!parsed->has("--fields")) scan->options.fields = loaded->policy.fields;
    scanner = load_scanner(loaded->policy.rule_packs, scan->min_score);
  } else {
    scanner = load_scanner(scan->rules, scan->min_score);
  }
  if (!scanner.ok()) return report_error(scanner.error());
  Result<pipeline::OpenedInputs> inputs = pipeline::open_inputs(scan->options.inputs);
  if (!inputs.ok()) return report_error(inputs.error());
  Result<FindingsOutput> output = open_findings(scan.value(), *scanner.value(), inputs->infos);
  if (!output.ok()) return report_error(output.error());

  pipeline::FindingsStage stage(*scanner.value(), scan->sarif ? pipeline::FindingsStage::Format::kSarif
                                                              : pipeline::FindingsStage::Format::kJsonl);
  std::unique_ptr<io::ByteSink> discard_clean = io::null_sink(), discard_quarantine = io::null_sink();
  pipeline::Sinks sinks{discard_clean.get(), discard_quarantine.get(), output->sink};
  Result<pipeline::Summary> summary = pipeline::run(scan->options, std::move(inputs.value()), {&stage}, sinks);
  if (!summary.ok()) return report_error(summary.error());
  Status finished = output->sink->finish();
  if (finished.ok() && output->file) finished = output->file->commit();
  if (!finished.ok()) return report_error(finished.error());
  if (!scan->quiet) {
    const pipeline::Counts& totals = summary->totals;
    char timing[64];
    std::snprintf(timing, sizeof timing, "%.2f s (%.1f MB/s)", summary->seconds,
                  summary->seconds > 0 ? static_cast<double>(totals.bytes) / 1e6 / summary->seconds : 0.0);
    std::cerr << "airlock scan: " << totals.records << " records, " << scanner.value()->rules().size() << " rules from "
              << scanner.value()->packs().size() << " packs, " << timing << "\n"
              << pipeline::findings_table(*scanner.value(), stage) << not_scanned_line(totals);
  }
  return 0;
}

int rules_command(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf(kRulesHelp, AIRLOCK_RULES_DIR);
    return args.empty() ? 2 : 0;
  }
  const std::string& action = args[0];
  if (action != "list" && action != "test") {
    return report_usage_error("rules", usage_error("unknown action '" + action + "' (list or test)"));
  }
  std::vector<std::string> paths(args.begin() + 1, args.end());
  if (paths.empty()) paths.push_back(AIRLOCK_RULES_DIR);
  Result<std::unique_ptr<detect::Scanner>> scanner = load_scanner(paths, 0);
  if (!scanner.ok()) return report_error(scanner.error());

  if (action == "list") {
    for (const detect::RulePack& pack : scanner.value()->packs()) {
      std::printf("pack %s %s (%s, %zu rules)\n", pack.name.c_str(), pack.version.c_str(), pack.file.c_str(),
                  pack.rules.size());
      for (const detect::Rule& rule : pack.rules) {
        std::string validators;
        for (const detect::ValidatorUse& use : rule.validators) {
          validators += (validators.empty() ? "" : ",") + std::string(use.validator->name);
        }
        std::printf("  %-36s %-24s score %.2f%s%s%s%s\n", rule.id.c_str(), rule.entity.c_str(), rule.score,
                    validators.empty() ? "" : "  validators ", validators.c_str(),
                    rule.detector.empty() ? "" : "  detector ", rule.detector.c_str());
      }
    }
    return 0;
  }
  Result<std::vector<detect::ExampleFailure>> failures = detect::check_examples(*scanner.value());
  if (!failures.ok()) return report_error(failures.error());
  size_t examples = 0;
  for (const detect::Rule& rule : scanner.value()->rules()) {
    examples += rule.match_examples.size() + rule.no_match_examples.size();
  }
  for (const detect::ExampleFailure& failure : failures.value()) {
    std::printf("FAIL %s:%d: rule %s: %s example not %s: %s\n", failure.rule->file.c_str(), failure.rule->line,
                failure.rule->id.c_str(), failure.should_match ? "match" : "no_match",
                failure.should_match ? "found" : "clean", failure.example.c_str());
  }
  std::printf("%zu rules, %zu examples, %zu failed\n", scanner.value()->rules().size(), examples, failures->size());
  return failures->empty() ? 0 : 1;
}

}  // namespace airlock::cli
