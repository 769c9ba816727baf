// airlock audit verify | merge: checking a run after the fact.
#include <filesystem>
#include <iostream>

#include "audit/audit.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/crypto_io.h"

namespace airlock::cli {
namespace {

const char kAuditHelp[] = R"(Usage: airlock audit verify DIR --public-key KEY [--require-pass]
       airlock audit verify DIR --allow-unsigned [--require-pass]
       airlock audit merge DIR... --out DIR --public-key KEY --signing-key FILE

verify checks a run folder written by `airlock run`:
  - manifest.sig is a valid Ed25519 signature of manifest.json by KEY;
  - audit.jsonl is whole: every entry carries the next sequence number and
    the SHA-256 of the entry before it, a header opens it, a footer closes
    it, and its last entry is the chain head the manifest names (a changed
    byte, an entry deleted, inserted or moved, a truncated log: each is
    reported with its line);
  - every file the manifest lists (clean output, quarantine, audit log,
    reports, keys) has the recorded size and SHA-256;
  - the counts reconcile: records = clean + quarantined, in the manifest, the
    audit footer and the per-record entries.
It prints what it checked, the run's verdict, and every problem found.

merge combines runs over shards of one dataset (each verified first, all
made under the same policy) into one manifest with summed counts and one
verdict (pass only if every shard passed), signed with --signing-key.
`airlock audit verify` on the merged folder re-verifies every shard.

Options:
  --public-key KEY     the signer's public key: ed25519:... or a file holding it
                       (the .pub file, or the signing key file itself)
  --allow-unsigned     check an unsigned run's integrity (no authorship)
  --require-pass       also fail (exit 1) when the run's verdict is not pass
  -o, --out DIR        merge: the folder for the merged manifest
  --signing-key FILE   merge: the key to sign the merged manifest with
  --force              merge: replace an earlier merged manifest in DIR
  -h, --help           this text

Exit status: 0 everything holds; 1 something does not (each problem is
printed); 2 usage error; 3 a folder could not be read.
)";

Result<audit::VerifyOptions> verify_options(const ParsedArgs& a) {
  audit::VerifyOptions options;
  options.allow_unsigned = a.has("--allow-unsigned");
  if (a.has("--public-key")) {
    Result<std::string> key = read_public_key(a.value("--public-key"));
    if (!key.ok()) return key.error();
    options.public_key = key.value();
  } else if (!options.allow_unsigned) {
    return usage_error("--public-key KEY is required (or --allow-unsigned to check integrity only)");
  }
  return options;
}

int verify(const ParsedArgs& a) {
  if (a.positionals().size() != 2) return report_usage_error("audit", usage_error("verify takes one run folder"));
  Result<audit::VerifyOptions> options = verify_options(a);
  if (!options.ok()) return report_usage_error("audit", options.error());
  const std::string& dir = a.positionals()[1];
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return report_error(input_error(dir + ": not a folder (give the run folder airlock run wrote)"));
  }
  audit::Verification v = audit::verify_run(dir, options.value());
  for (const std::string& line : v.checked) std::cout << "  ok       " << line << "\n";
  for (const std::string& line : v.problems) std::cout << "  PROBLEM  " << line << "\n";
  std::cout << "  verdict  " << (v.verdict.empty() ? "unknown" : v.verdict);
  for (const std::string& reason : v.verdict_reasons) std::cout << "\n           " << reason;
  std::cout << "\n";
  if (!v.ok()) {
    std::cout << "airlock audit verify: " << dir << ": FAILED, " << v.problems.size() << " problem"
              << (v.problems.size() == 1 ? "" : "s") << "\n";
    return 1;
  }
  if (a.has("--require-pass") && v.verdict != "pass") {
    std::cout << "airlock audit verify: " << dir << ": intact, but the verdict is " << v.verdict << "\n";
    return 1;
  }
  std::cout << "airlock audit verify: " << dir << ": OK" << (v.is_signed ? "" : " (unsigned)") << "\n";
  return 0;
}

int merge(const ParsedArgs& a) {
  std::vector<std::string> dirs(a.positionals().begin() + 1, a.positionals().end());
  if (dirs.empty()) return report_usage_error("audit", usage_error("merge needs the run folders of the shards"));
  if (a.value("--out").empty()) return report_usage_error("audit", usage_error("merge needs --out DIR"));
  Result<audit::VerifyOptions> options = verify_options(a);
  if (!options.ok()) return report_usage_error("audit", options.error());
  std::optional<crypto::SigningKey> key;
  if (a.has("--signing-key")) {
    Result<crypto::SigningKey> loaded = read_signing_key(a.value("--signing-key"));
    if (!loaded.ok()) return report_error(loaded.error());
    key = std::move(loaded.value());
  }
  Status merged = audit::merge_runs(dirs, a.value("--out"), options.value(), key ? &*key : nullptr, AIRLOCK_VERSION,
                                    a.has("--force"));
  if (!merged.ok()) return report_error(merged.error());
  std::cout << "airlock audit merge: " << dirs.size() << " shards into " << a.value("--out") << "/manifest.json"
            << (key ? ", signed" : ", unsigned") << "\n";
  return 0;
}

}  // namespace

int audit_command(const std::vector<std::string>& args) {
  Result<ParsedArgs> parsed = parse_args(args, {{"--public-key", "", true},
                                                {"--allow-unsigned", "", false},
                                                {"--require-pass", "", false},
                                                {"--out", "-o", true},
                                                {"--signing-key", "", true},
                                                {"--force", "", false},
                                                {"--help", "-h", false}});
  if (!parsed.ok()) return report_usage_error("audit", parsed.error());
  const ParsedArgs& a = parsed.value();
  if (a.has("--help") || a.positionals().empty()) {
    std::cout << kAuditHelp;
    return a.has("--help") ? 0 : 2;
  }
  const std::string& action = a.positionals()[0];
  if (action == "verify") return verify(a);
  if (action == "merge") return merge(a);
  return report_usage_error("audit", usage_error("unknown action '" + action + "' (verify or merge)"));
}

}  // namespace airlock::cli
