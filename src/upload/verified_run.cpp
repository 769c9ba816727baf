// The checks before anything leaves: the run verifies, its verdict is pass,
// and its clean output decrypts to exactly the plaintext the manifest names.
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>

#include "audit/audit.h"
#include "upload/internal.h"
#include "upload/upload.h"

namespace airlock::upload {
namespace {

constexpr size_t kReadSize = 1 << 20;

// The ciphertext file read as is (no decompression: a run's outputs are
// taken byte for byte), hashed on the way so that what was decrypted is
// tied to the SHA-256 the signed manifest lists.
class CiphertextFile final : public io::ByteSource {
 public:
  static Result<std::unique_ptr<CiphertextFile>> open(const std::string& path, std::string expected_sha256) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return input_error(path + ": cannot open: " + io::errno_text(errno));
    return std::unique_ptr<CiphertextFile>(new CiphertextFile(fd, path, std::move(expected_sha256)));
  }
  ~CiphertextFile() override { ::close(fd_); }

  Result<size_t> read(char* buffer, size_t capacity) override {
    for (;;) {
      ssize_t n = ::read(fd_, buffer, capacity);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return input_error(path_ + ": read failed: " + io::errno_text(errno));
      if (n == 0) return finish();
      bytes_ += static_cast<uint64_t>(n);
      digest_.update({buffer, static_cast<size_t>(n)});
      return static_cast<size_t>(n);
    }
  }
  uint64_t raw_bytes_read() const override { return bytes_; }

 private:
  CiphertextFile(int fd, std::string path, std::string expected)
      : fd_(fd), path_(std::move(path)), expected_(std::move(expected)) {}

  // The file may have been swapped since verify_run read it. (The
  // decrypting source puts the file's name before this message.)
  Result<size_t> finish() {
    if (!finished_ && digest_.hex_digest() != expected_) {
      return refused_error("changed since it was verified (its SHA-256 no longer matches the manifest)");
    }
    finished_ = true;
    return size_t{0};
  }

  int fd_;
  std::string path_;
  std::string expected_;
  io::Sha256 digest_;
  uint64_t bytes_ = 0;
  bool finished_ = false;
};

// Plaintext that proves itself: see open_verified_plaintext.
class VerifiedPlaintext final : public io::ByteSource {
 public:
  VerifiedPlaintext(std::unique_ptr<io::ByteSource> source, const VerifiedRun& run)
      : source_(std::move(source)), name_(run.clean_path()), size_(run.plaintext_size), sha256_(run.plaintext_sha256) {}

  Result<size_t> read(char* buffer, size_t capacity) override {
    Result<size_t> got = source_->read(buffer, capacity);
    if (!got.ok()) return got;
    if (got.value() == 0) return finish();
    seen_ += got.value();
    if (seen_ > size_) {
      return refused_error(name_ + ": decrypts to more than the manifest's plaintext_size of " + std::to_string(size_) +
                           " bytes");
    }
    digest_.update({buffer, got.value()});
    return got;
  }
  uint64_t raw_bytes_read() const override { return source_->raw_bytes_read(); }

 private:
  Result<size_t> finish() {
    if (finished_) return size_t{0};
    if (seen_ != size_) {
      return refused_error(name_ + ": decrypts to " + std::to_string(seen_) +
                           " bytes, the manifest's plaintext_size is " + std::to_string(size_));
    }
    if (digest_.hex_digest() != sha256_) {
      return refused_error(name_ + ": the decrypted plaintext's SHA-256 differs from the manifest's plaintext_sha256");
    }
    finished_ = true;
    return size_t{0};
  }

  std::unique_ptr<io::ByteSource> source_;
  std::string name_;
  uint64_t size_;
  std::string sha256_;
  io::Sha256 digest_;
  uint64_t seen_ = 0;
  bool finished_ = false;
};

// Hex MD5 (the Uploads API asks for it at /complete; it is a checksum of
// the transfer there, not a security property: SHA-256 is what we check).
class Md5 {
 public:
  Md5() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr); }
  ~Md5() { EVP_MD_CTX_free(ctx_); }
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  void update(std::string_view bytes) { EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()); }
  std::string hex_digest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx_, digest, &size);
    return io::hex(digest, size);
  }

 private:
  EVP_MD_CTX* ctx_;
};

std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += "\n  " + line;
  return text;
}

// The clean output's entry, checked to be one upload can send.
Result<audit::FileFacts> clean_output(const std::string& dir, const audit::Verification& v) {
  for (const audit::FileFacts& file : v.outputs) {
    if (file.path != kCleanOutput) continue;
    if (!file.encrypted || file.plaintext_sha256.size() != 64) {
      return refused_error(dir + ": the manifest gives no plaintext size and SHA-256 for " + file.path);
    }
    return file;
  }
  return refused_error(dir + ": the manifest lists no " + std::string(kCleanOutput) +
                       " (upload sends only an encrypted clean output of a single run)");
}

// Decrypts once, to the end, so that nothing is sent unless the whole
// plaintext matches; the MD5 the Uploads API wants comes from the same pass.
Status digest_plaintext(VerifiedRun& run) {
  Result<std::unique_ptr<io::ByteSource>> source = open_verified_plaintext(run);
  if (!source.ok()) return source.error();
  crypto::SecretBytes buffer(kReadSize);  // held plaintext: wiped when done
  Md5 md5;
  for (;;) {
    Result<size_t> got = source.value()->read(reinterpret_cast<char*>(buffer.data()), buffer.size());
    if (!got.ok()) return got.error();
    if (got.value() == 0) break;
    md5.update(buffer.view().substr(0, got.value()));
  }
  run.plaintext_md5 = md5.hex_digest();
  return ok_status();
}

}  // namespace


std::string VerifiedRun::upload_name() const {
  std::string base = dir;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  base = base.substr(base.find_last_of('/') + 1);
  // The name goes into HTTP headers and JSON: keep it to characters that
  // need no quoting anywhere.
  for (char& c : base) {
    bool plain =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!plain) c = '_';
  }
  if (base.empty() || base == "." || base == "..") base = "clean";
  return base + ".jsonl";
}

Result<VerifiedRun> verify_for_upload(const std::string& dir, const std::string& public_key,
                                      std::vector<crypto::Identity> identities) {
  audit::VerifyOptions options;
  options.public_key = public_key;
  audit::Verification v = audit::verify_run(dir, options);
  if (!v.ok()) return refused_error(dir + ": the run does not verify, nothing was sent:" + joined(v.problems));
  if (!v.is_signed) return refused_error(dir + ": the run is unsigned, nothing was sent");
  if (v.verdict != "pass") {
    return refused_error(dir + ": the run's verdict is " + (v.verdict.empty() ? "missing" : v.verdict) +
                         ", not pass; nothing was sent" + joined(v.verdict_reasons));
  }
  Result<audit::FileFacts> clean = clean_output(dir, v);
  if (!clean.ok()) return clean.error();
  VerifiedRun run;
  run.dir = dir;
  run.run_id = v.run_id;
  run.manifest_sha256 = v.manifest_sha256;
  run.ciphertext_sha256 = clean->sha256;
  run.plaintext_size = clean->plaintext_size;
  run.plaintext_sha256 = clean->plaintext_sha256;
  run.identities = std::move(identities);
  if (Status s = digest_plaintext(run); !s.ok()) return s.error();
  return run;
}

Result<std::unique_ptr<io::ByteSource>> open_verified_plaintext(const VerifiedRun& run) {
  Result<std::unique_ptr<CiphertextFile>> file = CiphertextFile::open(run.clean_path(), run.ciphertext_sha256);
  if (!file.ok()) return file.error();
  crypto::DecryptFailure failure = crypto::DecryptFailure::kNone;
  Result<std::unique_ptr<crypto::DecryptingSource>> decrypted =
      crypto::DecryptingSource::open(std::move(file.value()), run.identities, run.clean_path(), &failure);
  if (!decrypted.ok()) {
    // A wrong identity is a reason not to send, like a failed check.
    if (failure == crypto::DecryptFailure::kNoMatch) return refused_error(decrypted.error().message);
    return decrypted.error();
  }
  return std::unique_ptr<io::ByteSource>(new VerifiedPlaintext(std::move(decrypted.value()), run));
}

}  // namespace airlock::upload
