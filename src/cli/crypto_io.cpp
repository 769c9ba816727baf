// Raw inputs, atomic outputs, key files and passphrase prompts for keygen, seal and open.
#include "cli/crypto_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace airlock::cli {
namespace {

constexpr size_t kMaxKeyFileSize = 1 << 20;

class FdSource final : public io::ByteSource {
 public:
  FdSource(int fd, bool owned, std::string name) : fd_(fd), owned_(owned), name_(std::move(name)) {}
  ~FdSource() override {
    if (owned_) ::close(fd_);
  }
  Result<size_t> read(char* buffer, size_t capacity) override {
    for (;;) {
      ssize_t n = ::read(fd_, buffer, capacity);
      if (n >= 0) {
        bytes_read_ += static_cast<uint64_t>(n);
        return static_cast<size_t>(n);
      }
      if (errno != EINTR) return io_error(name_ + ": read failed: " + io::errno_text(errno));
    }
  }
  uint64_t raw_bytes_read() const override { return bytes_read_; }

 private:
  int fd_;
  bool owned_;
  std::string name_;
  uint64_t bytes_read_ = 0;
};

// Reads one line from the terminal with echo off; the terminal state is
// restored whatever happens.
Result<crypto::SecretBytes> prompt_hidden(int tty, const std::string& prompt) {
  // Echo goes off (and earlier typeahead is discarded) before the prompt
  // appears, so nothing typed after the prompt can be echoed.
  termios saved{};
  bool restore = ::tcgetattr(tty, &saved) == 0;
  if (restore) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    ::tcsetattr(tty, TCSAFLUSH, &quiet);
  }
  if (Status s = io::write_all(tty, prompt, "/dev/tty"); !s.ok()) {
    if (restore) ::tcsetattr(tty, TCSANOW, &saved);
    return s.error();
  }
  crypto::SecretBytes line(1024);
  size_t size = 0;
  bool too_long = false;
  for (;;) {
    char c = 0;
    ssize_t n = ::read(tty, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') break;
    if (size < line.size()) {
      line.data()[size++] = static_cast<uint8_t>(c);
    } else {
      too_long = true;
    }
  }
  if (restore) ::tcsetattr(tty, TCSANOW, &saved);
  if (too_long) return usage_error("the passphrase is longer than 1024 bytes");
  if (size > 0 && line.data()[size - 1] == '\r') --size;
  return crypto::SecretBytes(line.view().substr(0, size));
}

Result<crypto::SecretBytes> passphrase_from_terminal(bool confirm) {
  int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (tty < 0) {
    return usage_error("no terminal to ask for the passphrase; use --passphrase-file FILE or --passphrase-env VAR");
  }
  Result<crypto::SecretBytes> first = prompt_hidden(tty, "Enter passphrase: ");
  if (first.ok() && confirm) {
    Result<crypto::SecretBytes> second = prompt_hidden(tty, "Confirm passphrase: ");
    if (!second.ok())
      first = second.error();
    else if (!first->equals(second.value()))
      first = usage_error("the passphrases do not match");
  }
  ::close(tty);
  return first;
}

}  // namespace

Result<std::unique_ptr<io::ByteSource>> open_raw_input(const std::string& path, io::InputInfo* info) {
  info->path = path;
  info->display_name = path == "-" ? "<stdin>" : path;
  int fd = STDIN_FILENO;
  if (path != "-") {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return input_error(path + ": cannot open: " + io::errno_text(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0) {
    info->device = st.st_dev;
    info->inode = st.st_ino;
    if (S_ISREG(st.st_mode)) info->file_size = static_cast<uint64_t>(st.st_size);
    if (S_ISDIR(st.st_mode)) {
      if (path != "-") ::close(fd);
      return input_error(path + ": is a folder");
    }
  }
  return std::unique_ptr<io::ByteSource>(new FdSource(fd, path != "-", info->display_name));
}

Result<std::unique_ptr<Output>> Output::open(const std::string& path, bool replace, const io::InputInfo* input) {
  std::unique_ptr<Output> output(new Output());
  if (path.empty() || path == "-") {
    output->stdout_sink_ = io::fd_sink(STDOUT_FILENO, "standard output");
    output->sink_ = output->stdout_sink_.get();
    output->is_terminal_ = ::isatty(STDOUT_FILENO) == 1;
    return output;
  }
  // Both are configuration errors (exit 2), as for airlock run.
  struct stat st {};
  if (input && ::stat(path.c_str(), &st) == 0 && st.st_dev == input->device && st.st_ino == input->inode) {
    return usage_error(path + ": is also the input; write to another file");
  }
  if (!replace && ::lstat(path.c_str(), &st) == 0) {
    return usage_error(path + ": already exists (use --force to replace it)");
  }
  std::filesystem::path target(path);
  std::string folder = target.has_parent_path() ? target.parent_path().string() : ".";
  Result<std::unique_ptr<io::AtomicFile>> file =
      io::AtomicFile::create(folder, target.filename().string(), {.mode = 0600, .replace_existing = replace});
  if (!file.ok()) return file.error();
  output->file_ = std::move(file.value());
  output->sink_ = output->file_.get();
  return output;
}

Status Output::commit() { return file_ ? file_->commit() : ok_status(); }

Result<crypto::SecretBytes> read_key_file(const std::string& path, KeyFile kind, bool strict_permissions) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return usage_error(path + ": cannot open: " + io::errno_text(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return usage_error(path + ": not a regular file");
  }
  if (kind != KeyFile::kRecipients && (st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    const char* what = kind == KeyFile::kIdentities ? ": identity file"
                       : kind == KeyFile::kApiKey   ? ": API key file"
                                                    : ": passphrase file";
    std::string message = path + what +
                          " is readable by others (mode " + mode + "); chmod 600 it";
    if (strict_permissions) {
      ::close(fd);
      return usage_error(message + " (refused: --strict-perms)");
    }
    std::cerr << "airlock: warning: " << message << "\n";
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxKeyFileSize) {
    ::close(fd);
    return usage_error(path + ": too large for a key file");
  }
  crypto::SecretBytes content(static_cast<size_t>(st.st_size));
  size_t have = 0;
  while (have < content.size()) {
    ssize_t n = ::read(fd, content.data() + have, content.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    have += static_cast<size_t>(n);
  }
  ::close(fd);
  if (have != content.size()) return usage_error(path + ": read failed");
  return content;
}

Result<std::vector<crypto::Identity>> read_identity_files(const std::vector<std::string>& paths,
                                                          bool strict_permissions) {
  std::vector<crypto::Identity> identities;
  for (const std::string& path : paths) {
    Result<crypto::SecretBytes> content = read_key_file(path, KeyFile::kIdentities, strict_permissions);
    if (!content.ok()) return content.error();
    Result<std::vector<crypto::Identity>> file = crypto::parse_identity_file(content->view(), path);
    if (!file.ok()) return file.error();
    identities.insert(identities.end(), file->begin(), file->end());
  }
  return identities;
}

Result<crypto::SecretBytes> read_key_line(const std::string& path, KeyFile kind, bool strict_permissions,
                                          const std::string& what) {
  Result<crypto::SecretBytes> content = read_key_file(path, kind, strict_permissions);
  if (!content.ok()) return content.error();
  std::string_view text = content->view();
  text = text.substr(0, text.find('\n'));
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (text.empty()) return usage_error(path + ": the " + what + " is empty");
  return crypto::SecretBytes(text);
}

Result<crypto::SecretBytes> read_passphrase(const ParsedArgs& args, bool confirm) {
  if (args.has("--passphrase-file")) {
    return read_key_line(args.value("--passphrase-file"), KeyFile::kPassphrase, args.has("--strict-perms"),
                         "passphrase");
  }
  if (args.has("--passphrase-env")) {
    std::string name = args.value("--passphrase-env");
    const char* value = std::getenv(name.c_str());
    if (!value || !*value) return usage_error("environment variable " + name + " is not set or empty");
    return crypto::SecretBytes(std::string_view(value));
  }
  return passphrase_from_terminal(confirm);
}

Result<crypto::SigningKey> read_signing_key(const std::string& path) {
  Result<crypto::SecretBytes> text = read_key_file(path, KeyFile::kIdentities, false);
  if (!text.ok()) return text.error();
  return crypto::SigningKey::parse(text->view(), path);
}

Result<std::string> read_public_key(const std::string& text_or_path) {
  if (text_or_path.rfind("ed25519:", 0) == 0) return crypto::parse_public_key(text_or_path, "--public-key");
  Result<crypto::SecretBytes> text = read_key_file(text_or_path, KeyFile::kRecipients, false);
  if (!text.ok()) return text.error();
  return crypto::parse_public_key(text->view(), text_or_path);
}

Result<std::vector<crypto::Recipient>> read_recipients(const ParsedArgs& args) {
  std::vector<crypto::Recipient> recipients;
  for (const std::string& text : args.values("--recipient")) {
    Result<crypto::Recipient> recipient = crypto::Recipient::parse(text);
    if (!recipient.ok()) return recipient.error();
    recipients.push_back(recipient.value());
  }
  for (const std::string& path : args.values("--recipients-file")) {
    Result<crypto::SecretBytes> content = read_key_file(path, KeyFile::kRecipients, false);
    if (!content.ok()) return content.error();
    Result<std::vector<crypto::Recipient>> file = crypto::parse_recipients_file(content->view(), path);
    if (!file.ok()) return file.error();
    recipients.insert(recipients.end(), file->begin(), file->end());
  }
  return recipients;
}

}  // namespace airlock::cli
