// Output files published atomically, and streaming SHA-256.
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "io/io.h"

namespace airlock::io {
namespace {

std::string random_suffix() {
  unsigned char bytes[6];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    // Uniqueness, not secrecy, is what matters here; O_EXCL catches clashes.
    for (size_t i = 0; i < sizeof bytes; ++i) bytes[i] = static_cast<unsigned char>(::getpid() >> (i * 3));
  }
  return hex(bytes, sizeof bytes);
}

class FdSink final : public ByteSink {
 public:
  FdSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  Status write(std::string_view bytes) override { return write_all(fd_, bytes, name_); }
  Status finish() override {
    // fsync fails with EINVAL on pipes and terminals: only a real error counts.
    if (::fsync(fd_) != 0 && errno != EINVAL && errno != EROFS) {
      return io_error(name_ + ": flush failed: " + errno_text(errno));
    }
    return ok_status();
  }

 private:
  int fd_;
  std::string name_;
};

class NullSink final : public ByteSink {
 public:
  Status write(std::string_view) override { return ok_status(); }
  Status finish() override { return ok_status(); }
};

}  // namespace

std::unique_ptr<ByteSink> fd_sink(int fd, std::string name) { return std::make_unique<FdSink>(fd, std::move(name)); }
std::unique_ptr<ByteSink> null_sink() { return std::make_unique<NullSink>(); }

Status write_all(int fd, std::string_view bytes, const std::string& what) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(what + ": write failed: " + errno_text(errno));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return ok_status();
}

Result<std::unique_ptr<AtomicFile>> AtomicFile::create(const std::string& directory, const std::string& name,
                                                       Options options) {
  std::unique_ptr<AtomicFile> file(new AtomicFile());
  file->options_ = options;
  file->final_name_ = name;
  file->final_path_ = directory + "/" + name;
  file->dir_fd_ = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (file->dir_fd_ < 0) {
    return io_error(directory + ": cannot open output folder: " + errno_text(errno));
  }
  if (!options.replace_existing && ::faccessat(file->dir_fd_, name.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
    return io_error(file->final_path_ + ": already exists (use --force to replace it)");
  }
  for (int attempt = 0; attempt < 8 && file->fd_ < 0; ++attempt) {
    file->temp_name_ = "." + name + ".tmp-" + random_suffix();
    file->fd_ = ::openat(file->dir_fd_, file->temp_name_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                         options.mode);
    if (file->fd_ < 0 && errno != EEXIST) {
      return io_error(file->final_path_ + ": cannot create temporary file: " + errno_text(errno));
    }
  }
  if (file->fd_ < 0) return io_error(file->final_path_ + ": cannot create a unique temporary file");
  // The umask may have narrowed the mode; it must never widen it, and a
  // quarantine file must stay private whatever the umask says.
  ::fchmod(file->fd_, options.mode);
  return file;
}

AtomicFile::~AtomicFile() {
  if (!committed_) abort();
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

Status AtomicFile::write(std::string_view bytes) {
  if (fd_ < 0) return io_error(final_path_ + ": write after close");
  return write_all(fd_, bytes, final_path_);
}

Status AtomicFile::finish() {
  if (fd_ < 0) return io_error(final_path_ + ": finish after close");
  if (::fsync(fd_) != 0) return io_error(final_path_ + ": fsync failed: " + errno_text(errno));
  return ok_status();
}

Status AtomicFile::commit() {
  if (committed_) return ok_status();
  Status s = finish();
  if (!s.ok()) return s;
  if (::close(fd_) != 0) {
    fd_ = -1;
    return io_error(final_path_ + ": close failed: " + errno_text(errno));
  }
  fd_ = -1;
  unsigned flags = options_.replace_existing ? 0 : RENAME_NOREPLACE;
  if (::renameat2(dir_fd_, temp_name_.c_str(), dir_fd_, final_name_.c_str(), flags) != 0) {
    int e = errno;
    return io_error(final_path_ + ": cannot publish: " +
                    (e == EEXIST ? std::string("already exists (use --force to replace it)") : errno_text(e)));
  }
  committed_ = true;
  if (::fsync(dir_fd_) != 0) return io_error(final_path_ + ": fsync of folder failed: " + errno_text(errno));
  return ok_status();
}

void AtomicFile::abort() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!committed_ && !temp_name_.empty() && dir_fd_ >= 0) {
    ::unlinkat(dir_fd_, temp_name_.c_str(), 0);
    temp_name_.clear();
  }
}

struct Sha256::State {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : state_(std::make_unique<State>()) { EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr); }
Sha256::~Sha256() = default;

void Sha256::update(std::string_view bytes) { EVP_DigestUpdate(state_->ctx, bytes.data(), bytes.size()); }

std::string Sha256::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(state_->ctx, digest, &length);
  return hex(digest, length);
}

void append_hex(const uint8_t* data, size_t size, std::string& out) {
  static const char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
}

std::string hex(const uint8_t* data, size_t size) {
  std::string out;
  out.reserve(2 * size);
  append_hex(data, size, out);
  return out;
}

Status DigestingSink::write(std::string_view bytes) {
  digest_.update(bytes);
  bytes_ += bytes.size();
  return next_.write(bytes);
}

Result<std::unique_ptr<ScratchFile>> ScratchFile::create(const std::string& directory) {
  std::unique_ptr<ScratchFile> file(new ScratchFile());
  file->name_ = directory + "/(scratch file)";
  file->fd_ = ::open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (file->fd_ < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    // No O_TMPFILE on this file system: a named file, unlinked at once.
    std::string path = directory + "/.scratch-" + random_suffix();
    file->fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (file->fd_ >= 0) ::unlink(path.c_str());
  }
  if (file->fd_ < 0) return io_error(directory + ": cannot create a scratch file: " + errno_text(errno));
  return file;
}

ScratchFile::~ScratchFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status ScratchFile::write(std::string_view bytes) { return write_all(fd_, bytes, name_); }

Status ScratchFile::read_lines(const std::function<Status(std::string_view)>& visit) {
  if (::lseek(fd_, 0, SEEK_SET) != 0) return io_error(name_ + ": seek failed: " + errno_text(errno));
  std::string buffer;
  char chunk[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error(name_ + ": read failed: " + errno_text(errno));
    if (n == 0) break;
    buffer.append(chunk, static_cast<size_t>(n));
    size_t last_newline = buffer.rfind('\n');
    if (last_newline == std::string::npos) continue;
    Status s = visit(std::string_view(buffer).substr(0, last_newline + 1));
    if (!s.ok()) return s;
    buffer.erase(0, last_newline + 1);
  }
  return buffer.empty() ? ok_status() : visit(buffer);
}

}  // namespace airlock::io
