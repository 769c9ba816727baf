// airlock keygen: a new X25519 identity in age-keygen's file format.
#include <ctime>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/crypto_io.h"
#include "crypto/keys.h"

namespace airlock::cli {
namespace {

const char kKeygenHelp[] = R"(Usage: airlock keygen [-o FILE] [--force]

Makes a new age X25519 identity (a private key) in the format age-keygen
writes, so age, rage and airlock can all use it:

  # created: 2026-01-01T00:00:00Z
  # public key: age1...
  AGE-SECRET-KEY-1...

The public key (the recipient to give to whoever encrypts for you) is printed
as "Public key: age1...": on standard output when the identity goes to
FILE, on standard error when the identity goes to standard output.

Options:
  -o, --output FILE   write the identity to FILE (created with mode 0600,
                      published atomically); default: standard output
  --force             replace FILE if it exists
  -h, --help          this text

Keep the identity file private: anyone who reads it can open every file
encrypted to its public key. Exit status: 0 done; 2 usage error (including
an existing FILE without --force); 3 the file could not be written.
)";

std::string utc_timestamp() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace

int keygen_command(const std::vector<std::string>& args) {
  Result<ParsedArgs> parsed =
      parse_args(args, {{"--output", "-o", true}, {"--force", "", false}, {"--help", "-h", false}});
  if (!parsed.ok()) return report_usage_error("keygen", parsed.error());
  if (parsed->has("--help")) {
    std::cout << kKeygenHelp;
    return 0;
  }
  if (!parsed->positionals().empty()) {
    return report_usage_error("keygen", usage_error("unexpected argument '" + parsed->positionals()[0] + "'"));
  }
  Result<crypto::X25519Identity> identity = crypto::X25519Identity::generate();
  if (!identity.ok()) return report_error(identity.error());
  std::string public_key = identity->recipient().encode();

  std::string path = parsed->value("--output");
  Result<std::unique_ptr<Output>> output = Output::open(path, parsed->has("--force"), nullptr);
  if (!output.ok()) return report_error(output.error());
  std::string comments = "# created: " + utc_timestamp() + "\n# public key: " + public_key + "\n";
  crypto::SecretBytes secret = identity->encode();
  Status written = (*output)->sink().write(comments);
  if (written.ok()) written = (*output)->sink().write(secret.view());
  if (written.ok()) written = (*output)->sink().write("\n");
  if (written.ok()) written = (*output)->sink().finish();
  if (written.ok()) written = (*output)->commit();
  if (!written.ok()) return report_error(written.error());
  (path.empty() || path == "-" ? std::cerr : std::cout) << "Public key: " << public_key << "\n";
  return 0;
}

}  // namespace airlock::cli
