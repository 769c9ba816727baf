// A buffered reader over an io::ByteSource with the three reads the age
// parsers need: a line, an exact number of bytes, and a peek (internal).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "io/io.h"

namespace airlock::crypto::internal {

class BufferedReader {
 public:
  explicit BufferedReader(io::ByteSource& source, size_t buffer_size = 64 * 1024)
      : source_(source), buffer_(buffer_size) {}

  // Reads through the next '\n' (kept in `line`), or to the end of input, or
  // until `line` holds more than `max_size` bytes (the caller rejects that).
  // False when the input was already at its end.
  Result<bool> read_line(std::string* line, size_t max_size);
  // Reads `size` bytes, fewer only at the end of input.
  Result<size_t> read_full(uint8_t* out, size_t size);
  // Up to `size` upcoming bytes, without consuming them (size <= buffer).
  Result<std::string_view> peek(size_t size);

 private:
  Result<bool> fill();  // false at the end of input
  size_t available() const { return end_ - begin_; }

  io::ByteSource& source_;
  std::vector<char> buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace airlock::crypto::internal
