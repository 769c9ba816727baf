// What the keygen, seal and open commands share: raw file input (no
// decompression: ciphertext and plaintext are taken byte for byte), output
// to standard output or a file published atomically, reading key files and
// passphrases.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "cli/args.h"
#include "crypto/age.h"
#include "crypto/keys.h"
#include "crypto/signing.h"
#include "io/io.h"

namespace airlock::cli {

// A file, or standard input for "-", read as is.
Result<std::unique_ptr<io::ByteSource>> open_raw_input(const std::string& path, io::InputInfo* info);

// Where a command writes: standard output, or FILE via io::AtomicFile
// (temporary name in FILE's folder, mode 0600, fsync + rename on commit;
// an uncommitted output leaves nothing behind).
class Output {
 public:
  // `path` empty or "-" is standard output. An existing FILE is refused
  // unless `replace`; so is FILE being the input itself.
  static Result<std::unique_ptr<Output>> open(const std::string& path, bool replace, const io::InputInfo* input);
  io::ByteSink& sink() { return *sink_; }
  bool is_terminal() const { return is_terminal_; }
  // finish() the sink first; then this publishes a file (no-op for stdout).
  Status commit();

 private:
  std::unique_ptr<io::ByteSink> stdout_sink_;
  std::unique_ptr<io::AtomicFile> file_;
  io::ByteSink* sink_ = nullptr;
  bool is_terminal_ = false;
};

// What a key file holds, which decides whether its permissions matter.
enum class KeyFile { kRecipients, kIdentities, kPassphrase, kApiKey };

// Reads a small key file. Secret ones (identities, passphrases) readable by
// group or others give a warning on stderr, or an error with
// `strict_permissions`.
Result<crypto::SecretBytes> read_key_file(const std::string& path, KeyFile kind, bool strict_permissions);

// The identities in each FILE (-i/--identity, repeatable), in order; none
// is not an error here.
Result<std::vector<crypto::Identity>> read_identity_files(const std::vector<std::string>& paths,
                                                          bool strict_permissions);

// The first line of a secret key file (passphrase, API key), without its
// line ending; an empty one is an error that calls it `what`.
Result<crypto::SecretBytes> read_key_line(const std::string& path, KeyFile kind, bool strict_permissions,
                                          const std::string& what);

// The Ed25519 signing key in FILE (airlock keygen --signing), with the
// permission check of identity files.
Result<crypto::SigningKey> read_signing_key(const std::string& path);
// A public key given as the key itself ("ed25519:...") or as a file
// holding it (a .pub file, or the signing key file's comment).
Result<std::string> read_public_key(const std::string& text_or_path);

// The recipients of -r/--recipient (repeatable) and -R/--recipients-file
// (repeatable), in order; none is not an error here.
Result<std::vector<crypto::Recipient>> read_recipients(const ParsedArgs& args);

// The passphrase from --passphrase-file FILE (its first line), from the
// environment variable named by --passphrase-env, or else typed at the
// terminal without echo (twice when `confirm`). --strict-perms applies to
// the passphrase file as to identity files.
Result<crypto::SecretBytes> read_passphrase(const ParsedArgs& args, bool confirm);

}  // namespace airlock::cli
