// airlock run: parse the options, wire inputs, stages and the run directory.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <optional>
#include <thread>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/model_loading.h"
#include "cli/crypto_io.h"
#include "cli/policy_loading.h"
#include "cli/pipeline_options.h"
#include "cli/run_record.h"
#include "pipeline/pipeline.h"
#include "crypto/keyed_hash.h"
#include "pipeline/policy_stage.h"
#include "pipeline/token_stage.h"
#include "tokens/tokens.h"

namespace airlock::cli {
namespace {

const char kRunHelp[] = R"(Usage: airlock run INPUT... --out DIR [options]

Reads JSON Lines (or plain text) records from each INPUT, checks every record,
and writes a run directory:

  DIR/clean.jsonl.age       records that passed, in input order, encrypted
  DIR/quarantine.jsonl.age  records that did not, one JSON object a line with
                            the input file, line number and reasons, encrypted
  DIR/audit.jsonl           one hash-chained entry per record decision, with
                            a header (policy, rule packs, input digests) and
                            a footer (counts, output digests, verdict)
  DIR/manifest.json         digests of inputs and outputs, counts, verdict and
                            the audit chain's head; DIR/manifest.sig signs it
                            (Ed25519) when --signing-key is given
  DIR/report.html           the run at a glance, for people (report.json: the
                            same figures for programs)
  DIR/summary.json          counts per input that reconcile:
                            records = clean + quarantined
  DIR/audit-key.age         the key of the audit's record digests, encrypted
  DIR/vault.jsonl.age       with a reversible policy (inference-redact): each
                            pseudonym and its value, encrypted, for
                            `airlock restore`

Outputs are encrypted in the age v1 format (any age tool, or airlock open,
decrypts them) to the recipients given with -r / -R. A run without a
recipient does not start; make a key with `airlock keygen -o key.txt`.

INPUT is a file or - for standard input; gzip (.gz) and zstd (.zst) inputs are
decompressed transparently (recognised by their content, not their name).
Outputs are written under temporary names and published only when the whole
run succeeds.

Each record goes through the policy (default: policies/fine-tune-upload.yaml):
its rule packs find personal data and secrets, and per entity the policy
redacts, masks, pseudonymizes, replaces with a surrogate, hashes,
generalizes, flags or rejects. Every changed record is then decoded again
from the output and scanned once more (the verification pass). The run's
verdict fails (exit 1) when more records went to quarantine than the
policy's gate allows, when the gate's per-entity limits on findings are
passed, or when the verification pass finds anything the policy acts on.
Check a run later with `airlock audit verify DIR --public-key KEY`.

Options:
  -o, --out DIR           run directory to create or fill (required)
  -p, --policy FILE       the policy (see docs/policies.md; shipped ones in
                          policies/: fine-tune-upload, gdpr-pseudonymize,
                          pci-dss, secrets-only, inference-redact, format-check)
  -r, --recipient R       encrypt the outputs to the age recipient R (age1...);
                          repeatable
  -R, --recipients-file F encrypt to every recipient in F (one a line, # comments);
                          repeatable
  --plaintext-output      write the clean output as DIR/clean.jsonl, unencrypted
                          (the quarantine is always encrypted)
  --pseudonym-key FILE    the key of the policy's pseudonyms and hashes (64 hex
                          digits; or $AIRLOCK_PSEUDONYM_KEY_FILE). Without one a
                          run makes a key and keeps it, encrypted, as
                          DIR/pseudonym-key.age: `airlock open` it to reuse it.
  -j, --threads N         worker threads (default: number of cores, here %u)
  --fields SPEC           which strings of a record are text to check (default:
                          the policy's, usually auto):
                            auto        pick by the first record's shape
                            chat        /messages/*/content (string or text parts)
                                        and tool call arguments
                            batch       Batch API requests: the same under /body,
                                        plus /body/input and /body/prompt
                            preference  DPO files: /input/messages/*/content,
                                        /preferred_output/*/content, /non_preferred_output/*/content
                            text        each line is plain text
                            all         every string value of the record
                          or JSON pointers with * wildcards, comma-separated:
                            --fields '/messages/*/content,/metadata/notes'
  --max-line-bytes N      longest line kept as a record (default 16M); longer
                          lines go to quarantine as too_large without being
                          held in memory. Accepts K, M and G suffixes.
  --signing-key FILE      sign the manifest with this Ed25519 key (make one with
                          `airlock keygen --signing -o FILE`); without it the
                          run is unsigned, and says so
  --audit-level LEVEL     records (default): an audit entry per record;
                          summary: header, per-entity totals and footer only,
                          for very large runs
  --count-tokens MODEL    count the selected fields' tokens with MODEL's
                          encoding (gpt-4o, gpt-4o-mini, gpt-3.5-turbo, ... from
                          policies/models.yaml) before the policy and in the
                          clean output, with the cost of a training epoch on
                          them, in the report and summary.json's "tokens"; off
                          by default (it costs about as much CPU as detection)
  --models FILE           the models file for --count-tokens (default: the
                          shipped policies/models.yaml)
  --force                 replace the outputs of an earlier run in DIR
  -q, --quiet             no progress line and no report on stderr
  -h, --help              this text

Bad records never stop the run: invalid JSON or UTF-8, lone surrogates, NUL
bytes, over-long lines, records that are not objects or lack the selected
fields all go to quarantine with a reason (see docs/formats.md).

Exit status: 0 the run completed and passed its gate; 1 the gate refused
(outputs are written for review); 2 usage or configuration error (bad option,
policy or rule pack); 3 an input could not be read (missing file, truncated
.gz) or an output not written.
)";

struct RunArgs {
  pipeline::Options options;
  pipeline::OutputProtection protection;
  std::string policy;  // empty: the default
  std::string pseudonym_key;
  std::string signing_key;
  std::string audit_level = "records";
  std::string count_tokens;  // a model name, or empty
  std::string models_file;
  bool fields_given = false;
  std::string out_dir;
  bool force = false;
  bool quiet = false;
  bool help = false;
};

Result<RunArgs> parse_run_args(const std::vector<std::string>& args) {
  std::vector<OptionSpec> specs = pipeline_option_specs();
  specs.insert(specs.end(), {{"--out", "-o", true},
                             {"--recipient", "-r", true},
                             {"--recipients-file", "-R", true},
                             {"--plaintext-output", "", false},
                             {"--policy", "-p", true},
                             {"--pseudonym-key", "", true},
                             {"--signing-key", "", true},
                             {"--audit-level", "", true},
                             {"--count-tokens", "", true},
                             {"--models", "", true},
                             {"--force", "", false},
                             {"--quiet", "-q", false},
                             {"--help", "-h", false}});
  Result<ParsedArgs> parsed = parse_args(args, specs);
  if (!parsed.ok()) return parsed.error();
  const ParsedArgs& a = parsed.value();
  RunArgs run;
  run.help = a.has("--help");
  if (run.help) return run;
  Result<std::vector<crypto::Recipient>> recipients = read_recipients(a);
  if (!recipients.ok()) return recipients.error();
  run.protection.recipients = std::move(recipients.value());
  run.protection.plaintext_clean = a.has("--plaintext-output");
  run.policy = a.value("--policy");
  run.pseudonym_key = a.value("--pseudonym-key");
  run.signing_key = a.value("--signing-key");
  if (a.has("--audit-level")) run.audit_level = a.value("--audit-level");
  if (run.audit_level != "records" && run.audit_level != "summary") {
    return usage_error("--audit-level: '" + run.audit_level + "' is not records or summary");
  }
  run.count_tokens = a.value("--count-tokens");
  run.models_file = a.value("--models");
  run.fields_given = a.has("--fields");
  Status options = read_pipeline_options(a, run.options);
  if (!options.ok()) return options.error();
  run.out_dir = a.value("--out");
  run.force = a.has("--force");
  run.quiet = a.has("--quiet");
  if (run.out_dir.empty()) return usage_error("--out DIR is required");
  return run;
}

// --count-tokens MODEL: a counting stage on each side of the policy, or none.
struct TokenStages {
  std::optional<LoadedModel> model;
  std::unique_ptr<pipeline::TokenCountStage> before;
  std::unique_ptr<pipeline::TokenCountStage> after;

  void add_to(pipeline::Summary& summary) const {
    if (!model) return;
    summary.tokens = pipeline::TokenSummary{model->limits.name,
                                            std::string(tokens::encoding_name(model->limits.encoding)),
                                            model->limits.training_usd_per_million,
                                            model->prices_taken,
                                            before->total(),
                                            after->total()};
  }
};

Result<TokenStages> make_token_stages(const RunArgs& run) {
  TokenStages stages;
  if (run.count_tokens.empty()) return stages;
  Result<LoadedModel> model = load_model(run.count_tokens, run.models_file);
  if (!model.ok()) return model.error();
  const tokens::Tokenizer& tokenizer = *tokens::Tokenizer::get(model->limits.encoding).value();
  using Place = pipeline::TokenCountStage::Place;
  stages.before = std::make_unique<pipeline::TokenCountStage>(tokenizer, Place::kBeforePolicy);
  stages.after = std::make_unique<pipeline::TokenCountStage>(tokenizer, Place::kAfterPolicy);
  stages.model = std::move(model).value();
  return stages;
}

std::string format_duration(double seconds) {
  long s = static_cast<long>(seconds + 0.5);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return buffer;
}

void print_progress(const pipeline::Progress& p) {
  double mb_per_s = p.seconds > 0 ? static_cast<double>(p.bytes) / 1e6 / p.seconds : 0;
  char line[200];
  int n = std::snprintf(line, sizeof line, "\r\033[Kairlock: %llu records, %.1f MB/s",
                        static_cast<unsigned long long>(p.records), mb_per_s);
  std::string text(line, static_cast<size_t>(std::max(n, 0)));
  if (p.raw_bytes_total > 0 && p.raw_bytes_read > 0) {
    double fraction = std::min(1.0, static_cast<double>(p.raw_bytes_read) / static_cast<double>(p.raw_bytes_total));
    std::snprintf(line, sizeof line, ", %.0f%%", fraction * 100);
    text += line;
    if (fraction > 0.01) text += ", ETA " + format_duration(p.seconds * (1 - fraction) / fraction);
  }
  std::cerr << text << std::flush;
}

}  // namespace

int run_command(const std::vector<std::string>& args) {
  Result<RunArgs> parsed = parse_run_args(args);
  if (!parsed.ok()) return report_usage_error("run", parsed.error());
  RunArgs& run = parsed.value();
  if (run.help) {
    std::printf(kRunHelp, std::max(1u, std::thread::hardware_concurrency()));
    return 0;
  }
  bool show_progress = !run.quiet && ::isatty(STDERR_FILENO);
  if (!run.quiet) run.options.notice = [](const std::string& text) { std::cerr << "airlock: " << text << "\n"; };
  if (show_progress) run.options.progress = print_progress;

  Result<LoadedPolicy> loaded = load_policy_and_rules(run.policy);
  if (!loaded.ok()) return report_error(loaded.error());
  const policy::Policy& policy = loaded->policy;
  if (!run.fields_given) run.options.fields = policy.fields;
  if (Status s = use_policy_recipients(policy, run.protection.recipients); !s.ok()) return report_error(s.error());
  if (run.protection.recipients.empty()) {
    return report_usage_error("run", usage_error(
        "no recipient to encrypt the outputs to: the quarantine (and the clean output) hold the data "
        "being protected.\nMake a key with `airlock keygen -o key.txt`, then run with -r age1... "
        "(the public key it prints), -R recipients.txt, or recipients: in the policy."));
  }

  Result<crypto::SecretBytes> key = read_pseudonym_key(run.pseudonym_key);
  if (!key.ok()) return report_error(key.error());
  std::optional<crypto::SigningKey> signing_key;
  if (!run.signing_key.empty()) {
    Result<crypto::SigningKey> loaded_key = read_signing_key(run.signing_key);
    if (!loaded_key.ok()) return report_error(loaded_key.error());
    signing_key = std::move(loaded_key.value());
  }
  RunIdentity identity = new_run_identity();
  Result<TokenStages> token_stages = make_token_stages(run);
  if (!token_stages.ok()) return report_error(token_stages.error());

  Result<pipeline::OpenedInputs> inputs = pipeline::open_inputs(run.options.inputs, /*digest=*/true);
  if (!inputs.ok()) return report_error(inputs.error());
  Result<std::unique_ptr<pipeline::RunDirectory>> dir =
      pipeline::RunDirectory::create(run.out_dir, run.force, inputs->infos, run.protection);
  if (!dir.ok()) return report_error(dir.error());

  // Pseudonyms and hashes need a key: the one given, or a new one stored,
  // encrypted like the outputs, so that later runs can reuse it.
  std::string key_source = "given";
  if (policy.needs_key() && key->empty()) {
    key = crypto::new_keyed_hash_key();
    if (!key.ok()) return report_error(key.error());
    Status stored = dir.value()->add_encrypted_file(pipeline::RunDirectory::kPseudonymKey,
                                                    crypto::format_keyed_hash_key(key.value()).view());
    if (!stored.ok()) return report_error(stored.error());
    key_source = std::string("generated, in ") + pipeline::RunDirectory::kPseudonymKey;
  }

  // The audit's record digests are keyed too (a plain hash of a short
  // record could be reversed by trying values): a key for this run, kept
  // encrypted beside the outputs.
  Result<crypto::SecretBytes> audit_key = crypto::new_keyed_hash_key();
  if (!audit_key.ok()) return report_error(audit_key.error());
  Result<std::unique_ptr<crypto::KeyedDigester>> digester = crypto::KeyedDigester::create(audit_key.value());
  if (!digester.ok()) return report_error(digester.error());
  Status stored_audit_key = dir.value()->add_encrypted_file(
      audit::kAuditKeyFile,
      crypto::format_keyed_hash_key(audit_key.value(), "airlock audit key: run " + identity.run_id).view());
  if (!stored_audit_key.ok()) return report_error(stored_audit_key.error());
  if (run.audit_level == "records") run.options.audit_digester = digester->get();

  if (policy.reversible) {
    if (Status s = dir.value()->open_vault(); !s.ok()) return report_error(s.error());
  }
  std::unique_ptr<pipeline::PolicyStage> policy_stage = make_policy_stage(loaded.value(), &key.value());
  std::vector<const pipeline::Stage*> stages;
  if (token_stages->before) stages.push_back(token_stages->before.get());
  if (policy_stage) stages.push_back(policy_stage.get());
  run.options.verify_output = policy_stage != nullptr;
  if (token_stages->after) stages.push_back(token_stages->after.get());
  Result<pipeline::Summary> summary =
      pipeline::run(run.options, std::move(inputs.value()), stages, dir.value()->sinks());
  if (show_progress) std::cerr << "\r\033[K" << std::flush;
  if (!summary.ok()) return report_error(summary.error());
  summary->clean_file = dir.value()->clean_file();
  summary->quarantine_file = dir.value()->quarantine_file();
  token_stages->add_to(summary.value());
  audit::RunFacts facts = run_facts(identity, summary.value(), loaded.value(), policy_stage.get(), run.audit_level);
  apply_gate(policy, facts, summary.value());
  if (policy.needs_key()) {
    summary->pseudonym_key_source = key_source;
    summary->pseudonym_key_fingerprint = key_fingerprint(key.value());
  }
  Status committed = write_run_record(*dir.value(), facts, summary.value(), signing_key ? &*signing_key : nullptr);
  if (!committed.ok()) return report_error(committed.error());
  if (!run.quiet) {
    std::cerr << pipeline::summary_text(summary.value(), run.out_dir) << audit::report_text(facts);
    if (!signing_key) std::cerr << "  unsigned     the manifest is not signed (no --signing-key)\n";
  }
  if (summary->verdict != "pass") {
    std::cerr << "airlock: the gate refused: " << summary->verdict_reason << "\n";
    return 1;
  }
  return 0;
}

}  // namespace airlock::cli
