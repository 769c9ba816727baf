// airlock keygen: a new X25519 identity in age-keygen's file format.
#include <iostream>

#include "audit/audit.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/crypto_io.h"
#include "crypto/keys.h"
#include "crypto/signing.h"

namespace airlock::cli {
namespace {

const char kKeygenHelp[] = R"(Usage: airlock keygen [--signing] [-o FILE] [--force]

Makes a new age X25519 identity (a private key) in the format age-keygen
writes, so age, rage and airlock can all use it:

  # created: 2026-01-01T00:00:00Z
  # public key: age1...
  AGE-SECRET-KEY-1...

The public key (the recipient to give to whoever encrypts for you) is printed
as "Public key: age1...": on standard output when the identity goes to
FILE, on standard error when the identity goes to standard output.

With --signing, makes an Ed25519 signing key instead, for signing run
manifests (airlock run --signing-key FILE):

  # created: 2026-01-01T00:00:00Z
  # public key: ed25519:...
  AIRLOCK-ED25519-SECRET-KEY:...

and prints its public key ("Public key: ed25519:..."), which auditors give
to `airlock audit verify --public-key`.

Options:
  --signing           an Ed25519 signing key, not an age identity
  -o, --output FILE   write the identity to FILE (created with mode 0600,
                      published atomically); default: standard output
  --force             replace FILE if it exists
  -h, --help          this text

Keep the identity file private: anyone who reads it can open every file
encrypted to its public key. Exit status: 0 done; 2 usage error (including
an existing FILE without --force); 3 the file could not be written.
)";

}  // namespace

int keygen_command(const std::vector<std::string>& args) {
  Result<ParsedArgs> parsed =
      parse_args(args, {{"--output", "-o", true}, {"--signing", "", false}, {"--force", "", false}, {"--help", "-h", false}});
  if (!parsed.ok()) return report_usage_error("keygen", parsed.error());
  if (parsed->has("--help")) {
    std::cout << kKeygenHelp;
    return 0;
  }
  if (!parsed->positionals().empty()) {
    return report_usage_error("keygen", usage_error("unexpected argument '" + parsed->positionals()[0] + "'"));
  }
  std::string public_key;
  crypto::SecretBytes secret;
  if (parsed->has("--signing")) {
    Result<crypto::SigningKey> key = crypto::SigningKey::generate();
    if (!key.ok()) return report_error(key.error());
    public_key = key->public_key();
    secret = key->encode();
  } else {
    Result<crypto::X25519Identity> identity = crypto::X25519Identity::generate();
    if (!identity.ok()) return report_error(identity.error());
    public_key = identity->recipient().encode();
    secret = identity->encode();
  }

  std::string path = parsed->value("--output");
  Result<std::unique_ptr<Output>> output = Output::open(path, parsed->has("--force"), nullptr);
  if (!output.ok()) return report_error(output.error());
  // age identities: comments, then the key; signing keys carry their own
  // public key comment.
  bool signing = parsed->has("--signing");
  std::string comments = "# created: " + audit::utc_now() + "\n" + (signing ? "" : "# public key: " + public_key + "\n");
  Status written = (*output)->sink().write(comments);
  if (written.ok()) written = (*output)->sink().write(secret.view());
  if (written.ok() && !signing) written = (*output)->sink().write("\n");
  if (written.ok()) written = (*output)->sink().finish();
  if (written.ok()) written = (*output)->commit();
  if (!written.ok()) return report_error(written.error());
  (path.empty() || path == "-" ? std::cerr : std::cout) << "Public key: " << public_key << "\n";
  return 0;
}

}  // namespace airlock::cli
