// airlock redact: the policy as a filter in a shell pipeline.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/crypto_io.h"
#include "cli/pipeline_options.h"
#include "cli/policy_loading.h"
#include "cli/run_record.h"
#include "crypto/keyed_hash.h"
#include "pipeline/policy_stage.h"

namespace airlock::cli {
namespace {

const char kRedactHelp[] = R"(Usage: airlock redact --quarantine FILE (-r RECIPIENT | -R FILE) [options] [INPUT...]

Reads records from standard input (or each INPUT), applies the policy to them,
and writes the records that pass, redacted, to standard output, in plaintext:
a filter for shell pipelines,

  cat prompts.jsonl | airlock redact --quarantine rejected.age -r age1... | next-step

Records the policy rejects, and records that are not well-formed, go to the
quarantine FILE, always encrypted (age v1) to the recipients; nothing is
dropped silently. A report goes to standard error.

With a reversible policy (policies/inference-redact.yaml), each value is
replaced by a keyed pseudonym and the pairs are written, encrypted, to the
--vault FILE; `airlock restore --vault FILE` puts the values back into the
answers that come back:

  airlock redact -p policies/inference-redact.yaml --vault v.age \
      --quarantine q.age -r age1... < prompts.jsonl > safe.jsonl
  ... send safe.jsonl, receive answers.jsonl ...
  airlock restore --vault v.age -i key.txt answers.jsonl > answers-restored.jsonl

Options:
  --quarantine FILE       where rejected records go (required), encrypted
  -r, --recipient R       encrypt the quarantine to R (age1...); repeatable
  -R, --recipients-file F encrypt to every recipient in F; repeatable
  -p, --policy FILE       the policy (default: policies/fine-tune-upload.yaml)
  --pseudonym-key FILE    the key of the policy's pseudonyms and hashes (or
                          $AIRLOCK_PSEUDONYM_KEY_FILE); required when it uses them
  --vault FILE            with a reversible policy: where the pseudonyms and
                          their values go, encrypted (required then); without
                          --pseudonym-key the key is made for this run only
  --force                 replace an existing quarantine or vault FILE
  --fields, -j, --max-line-bytes   as for airlock run
  -q, --quiet             no report on standard error
  -h, --help              this text

Exit status: 0 done and the gate passed; 1 the gate refused (output written);
2 usage or configuration error; 3 an input or output failed.
)";

}  // namespace

int redact_command(const std::vector<std::string>& args) {
  std::vector<OptionSpec> specs = pipeline_option_specs();
  specs.insert(specs.end(), {{"--quarantine", "", true},
                             {"--recipient", "-r", true},
                             {"--recipients-file", "-R", true},
                             {"--policy", "-p", true},
                             {"--pseudonym-key", "", true},
                             {"--vault", "", true},
                             {"--force", "", false},
                             {"--quiet", "-q", false},
                             {"--help", "-h", false}});
  Result<ParsedArgs> parsed = parse_args(args, specs);
  if (!parsed.ok()) return report_usage_error("redact", parsed.error());
  const ParsedArgs& a = parsed.value();
  if (a.has("--help")) {
    std::fputs(kRedactHelp, stdout);
    return 0;
  }
  pipeline::Options options;
  if (Status s = read_pipeline_options(a, options, {"-"}); !s.ok()) return report_usage_error("redact", s.error());
  std::string quarantine_path = a.value("--quarantine");
  if (quarantine_path.empty()) {
    return report_usage_error("redact", usage_error("--quarantine FILE is required: rejected records must go somewhere"));
  }
  Result<LoadedPolicy> loaded = load_policy_and_rules(a.value("--policy"));
  if (!loaded.ok()) return report_error(loaded.error());
  if (!a.has("--fields")) options.fields = loaded->policy.fields;
  Result<std::vector<crypto::Recipient>> recipients = read_recipients(a);
  if (!recipients.ok()) return report_usage_error("redact", recipients.error());
  if (Status s = use_policy_recipients(loaded->policy, recipients.value()); !s.ok()) return report_error(s.error());
  if (recipients->empty()) {
    return report_usage_error("redact", usage_error("no recipient to encrypt the quarantine to (-r age1... or -R FILE; "
                                                    "make a key with `airlock keygen -o key.txt`)"));
  }

  Result<pipeline::OpenedInputs> inputs = pipeline::open_inputs(options.inputs);
  if (!inputs.ok()) return report_error(inputs.error());
  if (Status s = check_not_an_input(quarantine_path, inputs->infos); !s.ok()) return report_error(s.error());
  Result<std::unique_ptr<Output>> quarantine_file = Output::open(quarantine_path, a.has("--force"), nullptr);
  if (!quarantine_file.ok()) return report_error(quarantine_file.error());
  Result<std::unique_ptr<crypto::EncryptingSink>> quarantine =
      crypto::EncryptingSink::create(recipients.value(), quarantine_file.value()->sink());
  if (!quarantine.ok()) return report_error(quarantine.error());
  std::unique_ptr<io::ByteSink> clean = io::fd_sink(STDOUT_FILENO, "standard output");

  Result<crypto::SecretBytes> key = read_pseudonym_key(a.value("--pseudonym-key"));
  if (!key.ok()) return report_error(key.error());
  // A reversible policy keeps its pseudonyms in the vault: a key of its own
  // is enough when none is given (pseudonyms then differ between runs).
  std::unique_ptr<Output> vault_file;
  std::unique_ptr<crypto::EncryptingSink> vault;
  if (loaded->policy.reversible) {
    std::string vault_path = a.value("--vault");
    if (vault_path.empty()) {
      return report_usage_error("redact", usage_error("the policy is reversible: give --vault FILE for the pseudonyms "
                                                      "and their values (encrypted), or nothing could be restored"));
    }
    if (Status s = check_not_an_input(vault_path, inputs->infos); !s.ok()) return report_error(s.error());
    Result<std::unique_ptr<Output>> opened = Output::open(vault_path, a.has("--force"), nullptr);
    if (!opened.ok()) return report_error(opened.error());
    vault_file = std::move(opened.value());
    Result<std::unique_ptr<crypto::EncryptingSink>> sink = crypto::EncryptingSink::create(recipients.value(), vault_file->sink());
    if (!sink.ok()) return report_error(sink.error());
    vault = std::move(sink.value());
    if (key->empty()) key = crypto::new_keyed_hash_key();
    if (!key.ok()) return report_error(key.error());
  }
  if (loaded->policy.needs_key() && key->empty()) {
    return report_usage_error("redact", usage_error("the policy pseudonymizes or hashes: give its key with "
                                                    "--pseudonym-key FILE (or $AIRLOCK_PSEUDONYM_KEY_FILE)"));
  }
  std::unique_ptr<pipeline::PolicyStage> stage = make_policy_stage(loaded.value(), &key.value());
  std::vector<const pipeline::Stage*> stages;
  if (stage) stages.push_back(stage.get());
  if (!a.has("--quiet")) options.notice = [](const std::string& text) { std::cerr << "airlock: " << text << "\n"; };
  options.verify_output = stage != nullptr;
  Result<pipeline::Summary> summary =
      pipeline::run(options, std::move(inputs.value()), stages, {clean.get(), quarantine.value().get(), nullptr, vault.get()});
  if (!summary.ok()) return report_error(summary.error());
  Status finished = quarantine.value()->finish();
  if (finished.ok()) finished = quarantine_file.value()->commit();
  if (finished.ok() && vault) finished = vault->finish();
  if (finished.ok() && vault) finished = vault_file->commit();
  if (!finished.ok()) return report_error(finished.error());
  audit::RunFacts facts = run_facts(new_run_identity(), summary.value(), loaded.value(), stage.get(), "summary");
  apply_gate(loaded->policy, facts, summary.value());
  if (!a.has("--quiet")) {
    const pipeline::Counts& t = summary->totals;
    std::cerr << "airlock redact: " << t.records << " records, " << t.clean << " passed (" << t.changed
              << " changed), " << t.quarantined << " quarantined to " << quarantine_path << "; policy "
              << loaded->policy.name << ", verdict " << summary->verdict << "\n";
    std::cerr << audit::report_text(facts);
  }
  if (summary->verdict != "pass") {
    std::cerr << "airlock: the gate refused: " << summary->verdict_reason << "\n";
    return 1;
  }
  return 0;
}

}  // namespace airlock::cli
