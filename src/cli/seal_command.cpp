// airlock seal / airlock open: age encryption and decryption of one stream.
#include <iostream>
#include <optional>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/crypto_io.h"
#include "crypto/age.h"

namespace airlock::cli {
namespace {

const char kSealHelp[] = R"(Usage: airlock seal (-r RECIPIENT | -R FILE | -p) [-a] [-o OUT] [FILE]

Encrypts FILE (default: standard input) in the age v1 format, so that only
the holders of the given identities (or of the passphrase) can read it; age,
rage and airlock open can decrypt it. Works as a stream, in constant memory.

Options:
  -r, --recipient R       encrypt to the age X25519 recipient R (age1...);
                          repeatable, and combinable with -R
  -R, --recipients-file F encrypt to every recipient in F (one per line,
                          '#' comments); repeatable
  -p, --passphrase        encrypt with a passphrase instead (scrypt); it is
                          read from --passphrase-file, --passphrase-env, or
                          asked twice at the terminal without echo
  --passphrase-file F     the passphrase is the first line of F (implies -p)
  --passphrase-env VAR    the passphrase is in environment variable VAR (implies -p)
  --work-factor N         scrypt work factor log2(N), 10..22 (default 18, as
                          age); lower is faster and weaker
  --strict-perms          refuse a passphrase file that others can read
                          (otherwise a warning)
  -a, --armor             write PEM-style ASCII armor instead of binary
  -o, --output OUT        write to OUT (mode 0600, published atomically only
                          when complete); default: standard output
  --force                 replace OUT if it exists
  -h, --help              this text

Not supported: SSH keys, plugins and post-quantum (age1pq1...) recipients.
Exit status: 0 done; 2 usage error (bad recipient, missing key file, OUT
exists or is the input); 3 the input could not be read or the output not written.
)";

const char kOpenHelp[] = R"(Usage: airlock open (-i IDENTITY_FILE | -p) [-o OUT] [FILE]

Decrypts the age file FILE (default: standard input), binary or armored,
written by airlock seal, age or rage. Every 64 KiB chunk is authenticated
before it is released; any change to the file (a flipped byte, truncation,
reordered or appended data) or a wrong key fails with exit status 3.

With -o OUT nothing is published unless the whole file decrypted: OUT
(mode 0600) appears only at the end. To standard output, the chunks that
authenticated before a failure have already been written: check the exit
status before using the output.

Options:
  -i, --identity FILE     an identity file (age-keygen / airlock keygen
                          format); repeatable. A file readable by group or
                          others gets a warning
  --strict-perms          refuse such identity (and passphrase) files instead
  -p, --passphrase        the file is passphrase-encrypted; the passphrase is
                          read from --passphrase-file, --passphrase-env, or
                          asked at the terminal without echo
  --passphrase-file F     the passphrase is the first line of F (implies -p)
  --passphrase-env VAR    the passphrase is in environment variable VAR (implies -p)
  --max-work-factor N     refuse scrypt work factors above N (default and
                          highest 22, as age: 2^22 needs 4 GiB of memory)
  -o, --output OUT        write the plaintext to OUT; default: standard output
  --force                 replace OUT if it exists
  -h, --help              this text

Exit status: 0 done; 2 usage error (missing or invalid identity file, OUT
exists or is the input); 3 the file could not be decrypted (wrong key, corrupted, truncated) or read,
or the output not written.
)";

constexpr size_t kBufferSize = 1024 * 1024;

bool wants_passphrase(const ParsedArgs& args) {
  return args.has("--passphrase") || args.has("--passphrase-file") || args.has("--passphrase-env");
}

Result<std::vector<crypto::Recipient>> collect_recipients(const ParsedArgs& args) {
  Result<std::vector<crypto::Recipient>> listed = read_recipients(args);
  if (!listed.ok()) return listed.error();
  std::vector<crypto::Recipient> recipients = std::move(listed.value());
  if (wants_passphrase(args)) {
    if (!recipients.empty()) return usage_error("-p cannot be combined with -r or -R");
    Result<uint64_t> work_factor =
        parse_number(args.value("--work-factor", std::to_string(crypto::kDefaultScryptWorkFactor)), "--work-factor",
                     crypto::kMinScryptWorkFactor, crypto::kMaxScryptWorkFactor);
    if (!work_factor.ok()) return work_factor.error();
    Result<crypto::SecretBytes> passphrase = read_passphrase(args, true);
    if (!passphrase.ok()) return passphrase.error();
    Result<crypto::Recipient> recipient =
        crypto::Recipient::passphrase(std::move(passphrase.value()), static_cast<int>(work_factor.value()));
    if (!recipient.ok()) return recipient.error();
    recipients.push_back(recipient.value());
  }
  if (recipients.empty()) return usage_error("no recipients: give -r RECIPIENT, -R FILE or -p");
  return recipients;
}

Result<std::vector<crypto::Identity>> collect_identities(const ParsedArgs& args) {
  Result<std::vector<crypto::Identity>> listed = read_identity_files(args.values("--identity"), args.has("--strict-perms"));
  if (!listed.ok()) return listed.error();
  std::vector<crypto::Identity> identities = std::move(listed.value());
  if (wants_passphrase(args)) {
    Result<uint64_t> max_work_factor =
        parse_number(args.value("--max-work-factor", std::to_string(crypto::kMaxScryptWorkFactor)), "--max-work-factor",
                     1, crypto::kMaxScryptWorkFactor);
    if (!max_work_factor.ok()) return max_work_factor.error();
    Result<crypto::SecretBytes> passphrase = read_passphrase(args, false);
    if (!passphrase.ok()) return passphrase.error();
    identities.push_back(
        crypto::Identity::passphrase(std::move(passphrase.value()), static_cast<int>(max_work_factor.value())));
  }
  if (identities.empty()) return usage_error("no identity: give -i IDENTITY_FILE or -p");
  return identities;
}

// Copies `source` to `sink` through a buffer that is wiped afterwards
// (it held plaintext).
// Copies source to sink in buffers filled as far as the source allows, so
// that writes are few and large.
Status pump(io::ByteSource& source, io::ByteSink& sink) {
  crypto::SecretBytes buffer(kBufferSize);
  for (bool at_end = false; !at_end;) {
    size_t filled = 0;
    while (filled < buffer.size()) {
      Result<size_t> got = source.read(reinterpret_cast<char*>(buffer.data()) + filled, buffer.size() - filled);
      if (!got.ok()) {
        // What was read authenticated: release it as a stream would, then fail.
        if (filled) (void)sink.write(buffer.view().substr(0, filled));
        return got.error();
      }
      if (got.value() == 0) {
        at_end = true;
        break;
      }
      filled += got.value();
    }
    if (filled == 0) break;
    if (Status s = sink.write(buffer.view().substr(0, filled)); !s.ok()) return s;
  }
  return ok_status();
}

const std::vector<OptionSpec> kCommonOptions = {
    {"--output", "-o", true},        {"--force", "", false},         {"--passphrase", "-p", false},
    {"--passphrase-file", "", true}, {"--passphrase-env", "", true}, {"--strict-perms", "", false},
    {"--help", "-h", false},
};

struct CommandLine {
  ParsedArgs args;
  std::string input;  // a file, or "-" for standard input
};

// Parses a seal or open command line. nullopt when the command is already
// over: --help printed (exit 0) or a usage error reported (exit 2).
std::optional<CommandLine> parse_command_line(const std::string& command, const std::vector<std::string>& args,
                                              std::vector<OptionSpec> specs, const char* help, int* exit_code) {
  specs.insert(specs.end(), kCommonOptions.begin(), kCommonOptions.end());
  Result<ParsedArgs> parsed = parse_args(args, specs);
  if (!parsed.ok()) {
    *exit_code = report_usage_error(command, parsed.error());
    return std::nullopt;
  }
  if (parsed->has("--help")) {
    std::cout << help;
    *exit_code = 0;
    return std::nullopt;
  }
  const std::vector<std::string>& files = parsed->positionals();
  if (files.size() > 1) {
    *exit_code =
        report_usage_error(command, usage_error("one input file at most (got " + std::to_string(files.size()) + ")"));
    return std::nullopt;
  }
  std::string input = files.empty() ? std::string("-") : files[0];
  return CommandLine{std::move(parsed.value()), std::move(input)};
}

}  // namespace

int seal_command(const std::vector<std::string>& args) {
  int exit_code = 0;
  std::optional<CommandLine> line = parse_command_line("seal", args,
                                                       {{"--recipient", "-r", true},
                                                        {"--recipients-file", "-R", true},
                                                        {"--work-factor", "", true},
                                                        {"--armor", "-a", false}},
                                                       kSealHelp, &exit_code);
  if (!line) return exit_code;
  const ParsedArgs& parsed = line->args;
  Result<std::vector<crypto::Recipient>> recipients = collect_recipients(parsed);
  if (!recipients.ok()) return report_usage_error("seal", recipients.error());

  io::InputInfo info;
  Result<std::unique_ptr<io::ByteSource>> input = open_raw_input(line->input, &info);
  if (!input.ok()) return report_error(input.error());
  Result<std::unique_ptr<Output>> output = Output::open(parsed.value("--output"), parsed.has("--force"), &info);
  if (!output.ok()) return report_error(output.error());
  if ((*output)->is_terminal() && !parsed.has("--armor")) {
    return report_usage_error("seal", usage_error("refusing to write binary ciphertext to a terminal; use -a or -o"));
  }
  Result<std::unique_ptr<crypto::EncryptingSink>> encryptor =
      crypto::EncryptingSink::create(recipients.value(), (*output)->sink(), {.armor = parsed.has("--armor")});
  if (!encryptor.ok()) return report_error(encryptor.error());
  Status status = pump(**input, **encryptor);
  if (status.ok()) status = (*encryptor)->finish();
  if (status.ok()) status = (*output)->commit();
  if (!status.ok()) return report_error(status.error());
  return 0;
}

int open_command(const std::vector<std::string>& args) {
  int exit_code = 0;
  std::optional<CommandLine> line = parse_command_line(
      "open", args, {{"--identity", "-i", true}, {"--max-work-factor", "", true}}, kOpenHelp, &exit_code);
  if (!line) return exit_code;
  const ParsedArgs& parsed = line->args;
  Result<std::vector<crypto::Identity>> identities = collect_identities(parsed);
  if (!identities.ok()) return report_usage_error("open", identities.error());

  io::InputInfo info;
  Result<std::unique_ptr<io::ByteSource>> input = open_raw_input(line->input, &info);
  if (!input.ok()) return report_error(input.error());
  // The header is verified before any output exists: a wrong key creates
  // no file at all.
  Result<std::unique_ptr<crypto::DecryptingSource>> decryptor =
      crypto::DecryptingSource::open(std::move(input.value()), identities.value(), info.display_name);
  if (!decryptor.ok()) return report_error(decryptor.error());
  Result<std::unique_ptr<Output>> output = Output::open(parsed.value("--output"), parsed.has("--force"), &info);
  if (!output.ok()) return report_error(output.error());
  Status status = pump(**decryptor, (*output)->sink());
  if (status.ok()) status = (*output)->sink().finish();
  if (status.ok()) status = (*output)->commit();
  // On failure the Output is destroyed uncommitted: its temporary file goes.
  if (!status.ok()) return report_error(status.error());
  return 0;
}

}  // namespace airlock::cli
