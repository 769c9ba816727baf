// Input sources: plain files and stdin, gzip and zstd decompression.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "io/io.h"

namespace airlock::io {
namespace {

constexpr size_t kCompressedChunk = 256 * 1024;

// Reads a file descriptor, serving a few already-read bytes (the magic
// number probe) first.
class FdSource final : public ByteSource {
 public:
  FdSource(int fd, bool owns_fd, std::string name, bool digest)
      : fd_(fd), owns_fd_(owns_fd), name_(std::move(name)) {
    if (digest) digest_ = std::make_unique<Sha256>();
  }
  ~FdSource() override {
    if (owns_fd_) ::close(fd_);
  }

  // Reads up to 4 bytes to recognise the format; they are served again.
  Result<std::string> probe(size_t n) {
    std::string bytes(n, '\0');
    size_t have = 0;
    while (have < n) {
      Result<size_t> got = read_fd(bytes.data() + have, n - have);
      if (!got.ok()) return got.error();
      if (got.value() == 0) break;
      have += got.value();
    }
    bytes.resize(have);
    pending_ = bytes;
    return bytes;
  }

  Result<size_t> read(char* buffer, size_t capacity) override {
    if (!pending_.empty()) {
      size_t n = std::min(capacity, pending_.size());
      std::memcpy(buffer, pending_.data(), n);
      pending_.erase(0, n);
      return n;
    }
    return read_fd(buffer, capacity);
  }

  uint64_t raw_bytes_read() const override { return raw_read_; }
  std::string raw_sha256() override { return digest_ ? digest_->hex_digest() : std::string(); }

 private:
  Result<size_t> read_fd(char* buffer, size_t capacity) {
    for (;;) {
      ssize_t n = ::read(fd_, buffer, capacity);
      if (n >= 0) {
        raw_read_ += static_cast<uint64_t>(n);
        if (digest_) digest_->update(std::string_view(buffer, static_cast<size_t>(n)));
        return static_cast<size_t>(n);
      }
      if (errno == EINTR) continue;
      return input_error(name_ + ": read failed: " + errno_text(errno));
    }
  }

  int fd_;
  bool owns_fd_;
  std::string name_;
  std::string pending_;
  uint64_t raw_read_ = 0;
  std::unique_ptr<Sha256> digest_;
};

// gzip, including multi-member files (RFC 1952 §2.2). Every member must end
// with Z_STREAM_END: a file that stops early is reported as truncated, and
// bytes after a member that do not start a new member are an error.
class GzipSource final : public ByteSource {
 public:
  GzipSource(std::unique_ptr<FdSource> raw, std::string name)
      : raw_(std::move(raw)), name_(std::move(name)), in_(kCompressedChunk) {
    std::memset(&stream_, 0, sizeof stream_);
    initialised_ = inflateInit2(&stream_, 16 + MAX_WBITS) == Z_OK;
  }
  ~GzipSource() override {
    if (initialised_) inflateEnd(&stream_);
  }

  Result<size_t> read(char* buffer, size_t capacity) override {
    if (!initialised_) return input_error(name_ + ": cannot initialise gzip decoder");
    stream_.next_out = reinterpret_cast<Bytef*>(buffer);
    stream_.avail_out = static_cast<uInt>(std::min<size_t>(capacity, UINT32_MAX));
    while (stream_.avail_out > 0 && !finished_) {
      if (stream_.avail_in == 0) {
        Result<size_t> got = raw_->read(reinterpret_cast<char*>(in_.data()), in_.size());
        if (!got.ok()) return got.error();
        if (got.value() == 0) {
          if (in_member_) {
            return input_error(name_ + ": truncated gzip stream (ends inside a member, after " +
                               std::to_string(raw_->raw_bytes_read()) + " compressed bytes)");
          }
          finished_ = true;
          break;
        }
        stream_.next_in = in_.data();
        stream_.avail_in = static_cast<uInt>(got.value());
      }
      if (!in_member_) {
        // Between members: only the start of another member may follow.
        if (stream_.avail_in >= 1 && stream_.next_in[0] != 0x1f) {
          return input_error(name_ + ": trailing garbage after gzip member at compressed byte " +
                             std::to_string(offset_of_next_in()));
        }
        in_member_ = true;
      }
      int rc = inflate(&stream_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        in_member_ = false;
        inflateReset(&stream_);
      } else if (rc == Z_BUF_ERROR) {
        continue;  // needs more input; loop reads it
      } else if (rc != Z_OK) {
        return input_error(name_ + ": corrupt gzip data near compressed byte " + std::to_string(offset_of_next_in()) +
                           " (" + (stream_.msg ? stream_.msg : "inflate error") + ")");
      }
    }
    return capacity - stream_.avail_out;
  }

  uint64_t raw_bytes_read() const override { return raw_->raw_bytes_read(); }
  std::string raw_sha256() override { return raw_->raw_sha256(); }

 private:
  uint64_t offset_of_next_in() const { return raw_->raw_bytes_read() - stream_.avail_in; }

  std::unique_ptr<FdSource> raw_;
  std::string name_;
  std::vector<unsigned char> in_;
  z_stream stream_;
  bool initialised_ = false;
  bool in_member_ = false;
  bool finished_ = false;
};

// zstd, including concatenated frames. Ending inside a frame is truncation.
class ZstdSource final : public ByteSource {
 public:
  ZstdSource(std::unique_ptr<FdSource> raw, std::string name)
      : raw_(std::move(raw)), name_(std::move(name)), in_(kCompressedChunk), dctx_(ZSTD_createDCtx()) {}
  ~ZstdSource() override { ZSTD_freeDCtx(dctx_); }

  Result<size_t> read(char* buffer, size_t capacity) override {
    ZSTD_outBuffer out{buffer, capacity, 0};
    while (out.pos < out.size && !finished_) {
      if (input_.pos == input_.size) {
        Result<size_t> got = raw_->read(in_.data(), in_.size());
        if (!got.ok()) return got.error();
        if (got.value() == 0) {
          if (in_frame_) {
            return input_error(name_ + ": truncated zstd stream (ends inside a frame, after " +
                               std::to_string(raw_->raw_bytes_read()) + " compressed bytes)");
          }
          finished_ = true;
          break;
        }
        input_ = ZSTD_inBuffer{in_.data(), got.value(), 0};
      }
      size_t rc = ZSTD_decompressStream(dctx_, &out, &input_);
      if (ZSTD_isError(rc)) {
        return input_error(name_ + ": corrupt zstd data near compressed byte " +
                           std::to_string(raw_->raw_bytes_read() - (input_.size - input_.pos)) + " (" +
                           ZSTD_getErrorName(rc) + ")");
      }
      in_frame_ = rc != 0;
    }
    return out.pos;
  }

  uint64_t raw_bytes_read() const override { return raw_->raw_bytes_read(); }
  std::string raw_sha256() override { return raw_->raw_sha256(); }

 private:
  std::unique_ptr<FdSource> raw_;
  std::string name_;
  std::vector<char> in_;
  ZSTD_inBuffer input_{nullptr, 0, 0};
  ZSTD_DCtx* dctx_;
  bool in_frame_ = false;
  bool finished_ = false;
};

class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::string bytes) : bytes_(std::move(bytes)) {}
  Result<size_t> read(char* buffer, size_t capacity) override {
    size_t n = std::min(capacity, bytes_.size() - pos_);
    std::memcpy(buffer, bytes_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  uint64_t raw_bytes_read() const override { return pos_; }

 private:
  std::string bytes_;
  size_t pos_ = 0;
};

Compression detect_compression(std::string_view magic) {
  if (magic.size() >= 2 && static_cast<unsigned char>(magic[0]) == 0x1f &&
      static_cast<unsigned char>(magic[1]) == 0x8b) {
    return Compression::kGzip;
  }
  if (magic.size() >= 4 && magic.substr(0, 4) == std::string_view("\x28\xb5\x2f\xfd", 4)) {
    return Compression::kZstd;
  }
  return Compression::kNone;
}

}  // namespace

std::string_view compression_name(Compression c) {
  switch (c) {
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
    case Compression::kNone:
      break;
  }
  return "none";
}

std::string errno_text(int error_number) {
  char buffer[256];
  return strerror_r(error_number, buffer, sizeof buffer);
}

Result<std::unique_ptr<ByteSource>> open_input(const std::string& path, InputInfo* info, bool digest) {
  InputInfo local;
  InputInfo& in = info ? *info : local;
  in.path = path;
  in.display_name = path == "-" ? "<stdin>" : path;
  int fd = 0;
  bool owns = false;
  if (path != "-") {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return input_error(path + ": cannot open: " + errno_text(errno));
    owns = true;
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      if (owns) ::close(fd);
      return input_error(path + ": is a directory, not an input file");
    }
    in.device = st.st_dev;
    in.inode = st.st_ino;
    if (S_ISREG(st.st_mode)) in.file_size = static_cast<uint64_t>(st.st_size);
  }
  auto raw = std::make_unique<FdSource>(fd, owns, in.display_name, digest);
  Result<std::string> magic = raw->probe(4);
  if (!magic.ok()) return magic.error();
  in.compression = detect_compression(magic.value());
  switch (in.compression) {
    case Compression::kGzip:
      return std::unique_ptr<ByteSource>(new GzipSource(std::move(raw), in.display_name));
    case Compression::kZstd:
      return std::unique_ptr<ByteSource>(new ZstdSource(std::move(raw), in.display_name));
    case Compression::kNone:
      break;
  }
  return std::unique_ptr<ByteSource>(std::move(raw));
}

std::unique_ptr<ByteSource> memory_source(std::string bytes) {
  return std::make_unique<MemorySource>(std::move(bytes));
}

}  // namespace airlock::io
