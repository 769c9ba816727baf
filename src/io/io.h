// io: where bytes come from and where they go.
//
// Sources: a file or standard input, decompressed transparently when it is
// gzip or zstd (recognised by magic bytes, not by name). A truncated or
// corrupt compressed stream is an error, never a silent end of input.
//
// Sinks: AtomicFile writes under a temporary name in the destination folder
// and publishes with fsync + rename only when commit() is called, so a crash
// or an error leaves nothing under the final name.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace airlock::io {

enum class Compression { kNone, kGzip, kZstd };
std::string_view compression_name(Compression c);

// What is known about an input before reading it.
struct InputInfo {
  std::string path;                   // as given; "-" is standard input
  std::string display_name;           // for messages: the path, or "<stdin>"
  std::optional<uint64_t> file_size;  // bytes on disk, when a regular file
  Compression compression = Compression::kNone;
  dev_t device = 0;  // identity, to refuse writing over an input
  ino_t inode = 0;
};

// A stream of (decompressed) bytes.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `capacity` bytes into `buffer`; 0 means the end of the input.
  virtual Result<size_t> read(char* buffer, size_t capacity) = 0;
  // Bytes consumed from the file itself so far (compressed bytes for .gz
  // and .zst), to report progress against InputInfo::file_size.
  virtual uint64_t raw_bytes_read() const = 0;
  // The SHA-256 (hex) of the bytes consumed from the file itself, once the
  // whole input has been read; empty for a source that does not digest
  // (see open_input's `digest`).
  virtual std::string raw_sha256() { return {}; }
};

// Opens a file, or standard input for "-", detecting gzip and zstd. With
// `digest`, the file's bytes (compressed, as on disk) are hashed as they are
// read, for raw_sha256().
Result<std::unique_ptr<ByteSource>> open_input(const std::string& path, InputInfo* info, bool digest = false);

// Opens a source over bytes held in memory (for tests and small inputs).
std::unique_ptr<ByteSource> memory_source(std::string bytes);

// Where output bytes go. write() may buffer; finish() makes them durable.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status write(std::string_view bytes) = 0;
  virtual Status finish() = 0;
};

// Writes to an open file descriptor (standard output for "-"); finish()
// reports a failed flush, such as a closed pipe, as an error.
std::unique_ptr<ByteSink> fd_sink(int fd, std::string name);
// Discards everything (outputs a command does not keep).
std::unique_ptr<ByteSink> null_sink();

// A file published atomically: bytes go to a temporary file in the same
// folder (created with O_EXCL, never following a link); commit() fsyncs,
// renames to the final name and fsyncs the folder. Destroying an uncommitted
// AtomicFile removes the temporary file.
class AtomicFile final : public ByteSink {
 public:
  struct Options {
    mode_t mode = 0600;
    bool replace_existing = false;  // otherwise an existing final file is an error
  };
  static Result<std::unique_ptr<AtomicFile>> create(const std::string& directory, const std::string& name,
                                                    Options options);
  ~AtomicFile() override;

  Status write(std::string_view bytes) override;
  Status finish() override;  // fsync only
  Status commit();           // finish, rename into place, fsync the folder
  void abort();              // remove the temporary file


 private:
  AtomicFile() = default;
  int dir_fd_ = -1;
  int fd_ = -1;
  std::string temp_name_;
  std::string final_name_;
  std::string final_path_;
  Options options_;
  bool committed_ = false;
};

// Writes all of `bytes` to `fd`, retrying on EINTR and short writes.
Status write_all(int fd, std::string_view bytes, const std::string& what);

// Streaming SHA-256 (OpenSSL EVP), for digests of inputs, outputs and
// over-long lines that are never held in memory whole.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view bytes);
  std::string hex_digest();  // finishes; call once

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Passes bytes on to another sink, counting and hashing them on the way:
// the size and SHA-256 of an output as written.
class DigestingSink final : public ByteSink {
 public:
  explicit DigestingSink(ByteSink& next) : next_(next) {}
  Status write(std::string_view bytes) override;
  Status finish() override { return next_.finish(); }
  uint64_t bytes() const { return bytes_; }
  std::string hex_digest() { return digest_.hex_digest(); }  // call once, after the last write

 private:
  ByteSink& next_;
  Sha256 digest_;
  uint64_t bytes_ = 0;
};

// A temporary file in a folder, unlinked from the start (only its
// descriptor names it, so nothing is left behind by a crash): for what a
// command writes once, then reads back once.
class ScratchFile final : public ByteSink {
 public:
  static Result<std::unique_ptr<ScratchFile>> create(const std::string& directory);
  ~ScratchFile() override;
  Status write(std::string_view bytes) override;
  Status finish() override { return ok_status(); }
  // Calls `visit` with everything written, from the start, in pieces that
  // end at a newline (the last one may not).
  Status read_lines(const std::function<Status(std::string_view)>& visit);

 private:
  ScratchFile() = default;
  int fd_ = -1;
  std::string name_;  // for errors
};

// Lower-case hexadecimal of `size` bytes (digests, keys, ids).
void append_hex(const uint8_t* data, size_t size, std::string& out);
std::string hex(const uint8_t* data, size_t size);

// Human-readable reason for an errno value.
std::string errno_text(int error_number);

}  // namespace airlock::io
