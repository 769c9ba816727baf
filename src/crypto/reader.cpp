// BufferedReader: lines, exact reads and peeks over an io::ByteSource.
#include "crypto/reader.h"

#include <algorithm>
#include <cstring>

namespace airlock::crypto::internal {

Result<bool> BufferedReader::fill() {
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, available());
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) return true;
  Result<size_t> got = source_.read(buffer_.data() + end_, buffer_.size() - end_);
  if (!got.ok()) return got.error();
  end_ += got.value();
  return got.value() > 0;
}

Result<bool> BufferedReader::read_line(std::string* line, size_t max_size) {
  line->clear();
  for (;;) {
    const char* start = buffer_.data() + begin_;
    const char* newline = static_cast<const char*>(std::memchr(start, '\n', available()));
    size_t take = newline ? static_cast<size_t>(newline - start) + 1 : available();
    line->append(start, take);
    begin_ += take;
    if (newline || line->size() > max_size) return true;
    Result<bool> more = fill();
    if (!more.ok()) return more.error();
    if (!more.value()) return !line->empty();
  }
}

Result<size_t> BufferedReader::read_full(uint8_t* out, size_t size) {
  size_t done = 0;
  while (done < size) {
    if (available() == 0) {
      Result<bool> more = fill();
      if (!more.ok()) return more.error();
      if (!more.value()) break;
    }
    size_t take = std::min(size - done, available());
    std::memcpy(out + done, buffer_.data() + begin_, take);
    begin_ += take;
    done += take;
  }
  return done;
}

Result<std::string_view> BufferedReader::peek(size_t size) {
  size = std::min(size, buffer_.size());
  while (available() < size) {
    Result<bool> more = fill();
    if (!more.ok()) return more.error();
    if (!more.value()) break;
  }
  return std::string_view(buffer_.data() + begin_, std::min(size, available()));
}

}  // namespace airlock::crypto::internal
