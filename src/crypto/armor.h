// The age ASCII armor (internal to the crypto component).
//
// Format: strict PEM.
//   -----BEGIN AGE ENCRYPTED FILE-----
//   base64 with '=' padding, exactly 64 columns a line, the last line
//   shorter (or 64 columns, or absent when the data is a multiple of 48)
//   -----END AGE ENCRYPTED FILE-----
// No PEM headers, no checksum. Readers accept LF or CRLF line ends, and
// whitespace-only lines before the armor and whitespace after it (at most
// 1 KiB each); anything else is an armor failure.
#pragma once

#include <string>

#include "crypto/reader.h"
#include "io/io.h"

namespace airlock::crypto::internal {

constexpr std::string_view kArmorBegin = "-----BEGIN AGE ENCRYPTED FILE-----";
constexpr std::string_view kArmorEnd = "-----END AGE ENCRYPTED FILE-----";
constexpr size_t kArmorColumns = 64;
constexpr size_t kArmorBytesPerLine = kArmorColumns / 4 * 3;  // 48
constexpr size_t kArmorMaxWhitespace = 1024;

// Armors what is written to it into `out`; finish() finishes `out`.
class ArmorWriter final : public io::ByteSink {
 public:
  explicit ArmorWriter(io::ByteSink& out) : out_(out) {}
  Status write(std::string_view bytes) override;
  Status finish() override;

 private:
  Status flush_lines(bool force);
  void start();  // the BEGIN line, once
  void encode_line(const char* data, size_t size);
  io::ByteSink& out_;
  std::string pending_;  // bytes not yet encoded (< 48 after each write)
  std::string encoded_;  // encoded lines not yet written
  bool started_ = false;
};

// Decodes armored input line by line. Errors are input errors (armor
// failures); errors of the underlying source pass through unchanged.
class ArmorReader final : public io::ByteSource {
 public:
  explicit ArmorReader(BufferedReader& in) : in_(in) {}
  Result<size_t> read(char* buffer, size_t capacity) override;
  uint64_t raw_bytes_read() const override { return 0; }

 private:
  Status next_line();  // decodes the next line into decoded_
  Status expect_end();
  Result<bool> get_line(std::string* line);
  Error fail(const std::string& reason);

  BufferedReader& in_;
  std::string decoded_;
  size_t decoded_at_ = 0;
  bool started_ = false;
  bool ended_ = false;
  std::optional<Error> error_;
};

// True when `start` (the first bytes of a file) begins an age binary file
// rather than armor: the binary form always starts "age-encryption.org/".
bool looks_binary(std::string_view start);

}  // namespace airlock::crypto::internal
