// airlock: the command-line entry point. Parses the subcommand and hands
// over; all the work lives in the libraries.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "cli/commands.h"
#include "record/record.h"

namespace airlock::cli {

namespace {

const char kHelp[] = R"(airlock — checks data before it leaves: finds personal data, secrets and
prohibited content in JSON Lines and text, redacts or quarantines each record,
and writes what passed to a run directory.

Usage: airlock COMMAND [options]

Commands:
  run       check inputs and write clean output, quarantine, audit log,
            signed manifest and reports
  redact    the policy as a filter: standard input to standard output
  restore   put the values of reversible pseudonyms back (inference answers)
  scan      write findings (personal data, secrets, …) without changing anything
  rules     list the rule packs, or test every rule against its examples
  eval      precision and recall of findings against a labelled set
  validate  would the fine-tuning service accept this file? tokens and cost
  policy    check a policy and print what it amounts to
  audit     verify a run folder against its signed manifest; merge shards
  keygen    make an age identity or (--signing) a signing key
  seal      encrypt a file or stream with age (to recipients or a passphrase)
  open      decrypt an age file (from airlock, age or rage)
  upload    send a verified run's clean output to a Files API (or an outbox)

Each command explains itself: airlock COMMAND --help.

Options:
  -h, --help     this text
  --version      print the version

Exit status: 0 passed, 1 the gate refused, 2 usage or configuration error,
3 input or I/O error. Documentation: docs/ in the source tree.
)";

}  // namespace

int report_error(const Error& error) {
  std::cerr << "airlock: error: " << error.message << "\n";
  return error.exit_code();
}

int report_usage_error(const std::string& command, const Error& error) {
  std::cerr << "airlock " << command << ": error: " << error.message << "\n"
            << "Try 'airlock " << command << " --help'.\n";
  return 2;
}

}  // namespace airlock::cli

int main(int argc, char** argv) {
  // A closed pipe is an error to report (write fails with EPIPE), not a
  // reason to die silently: a gate must not look as if it passed.
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::fputs(airlock::cli::kHelp, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version" || args[0] == "version") {
    std::printf("airlock %s\n", AIRLOCK_VERSION);
    return 0;
  }
  if (airlock::Status cpu = airlock::record::check_cpu(); !cpu.ok()) return airlock::cli::report_error(cpu.error());
  std::string command = args[0];
  args.erase(args.begin());
  if (command == "run") return airlock::cli::run_command(args);
  if (command == "scan") return airlock::cli::scan_command(args);
  if (command == "rules") return airlock::cli::rules_command(args);
  if (command == "policy") return airlock::cli::policy_command(args);
  if (command == "redact") return airlock::cli::redact_command(args);
  if (command == "eval") return airlock::cli::eval_command(args);
  if (command == "validate") return airlock::cli::validate_command(args);
  if (command == "keygen") return airlock::cli::keygen_command(args);
  if (command == "audit") return airlock::cli::audit_command(args);
  if (command == "restore") return airlock::cli::restore_command(args);
  if (command == "seal") return airlock::cli::seal_command(args);
  if (command == "open") return airlock::cli::open_command(args);
  if (command == "upload") return airlock::cli::upload_command(args);
  std::cerr << "airlock: error: unknown command '" << command << "'\nTry 'airlock --help'.\n";
  return 2;
}
