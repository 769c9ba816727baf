// Cutting an input into batches of lines.
//
// Lines are framed on '\n' only: a '\r' before it stays part of the record,
// and a last line without '\n' is a record too. A byte-order mark is removed
// only at byte 0 of an input. A line longer than max_line_bytes is never
// held whole: once its prefix passes the limit, the rest is streamed through
// SHA-256 and the line is passed on as its offset, length and digest.
#include <algorithm>
#include <cstring>

#include "pipeline/batch.h"

namespace airlock::pipeline {
namespace {
constexpr size_t kMaxChunk = 1u << 20;
constexpr std::string_view kBom = "\xEF\xBB\xBF";
}  // namespace

LineBatcher::LineBatcher(io::ByteSource& source, size_t batch_bytes, size_t max_line_bytes)
    : source_(source),
      batch_bytes_(std::max<size_t>(batch_bytes, 1)),
      max_line_bytes_(max_line_bytes),
      chunk_bytes_(std::clamp<size_t>(batch_bytes, 1, kMaxChunk)) {}

void LineBatcher::emit(Batch& batch, size_t begin, size_t end) {
  LineRef line;
  line.number = next_line_++;
  line.file_offset = static_cast<uint64_t>(static_cast<int64_t>(batch_offset_ + begin) + offset_delta_);
  line.begin = static_cast<uint32_t>(begin);
  size_t length = end - begin;
  if (length > max_line_bytes_) {
    io::Sha256 digest;
    digest.update({batch.data.data() + begin, length});
    line.oversize = static_cast<int32_t>(batch.oversize.size());
    batch.oversize.push_back({length, digest.hex_digest()});
  } else {
    line.length = static_cast<uint32_t>(length);
  }
  batch.lines.push_back(line);
}

// Reads one chunk after data[0, size); returns the bytes read (0 at the end).
Result<size_t> LineBatcher::read_more(Batch& batch, size_t size) {
  batch.data.resize(size + chunk_bytes_);
  batch.data.reserve(size + chunk_bytes_ + record::kReadPadding);
  Result<size_t> got = source_.read(batch.data.data() + size, chunk_bytes_);
  if (!got.ok()) return got.error();
  if (got.value() == 0) eof_ = true;
  bytes_read_ += got.value();
  batch.data.resize(size + got.value());
  return got.value();
}

// The partial line starting at line_start has outgrown the limit and holds
// no '\n' yet: digest it and everything up to its end, keep what follows.
Status LineBatcher::skip_oversize_line(Batch& batch, size_t line_start, size_t& size) {
  io::Sha256 digest;
  digest.update({batch.data.data() + line_start, size - line_start});
  uint64_t length = size - line_start;
  LineRef line;
  line.number = next_line_++;
  line.file_offset = static_cast<uint64_t>(static_cast<int64_t>(batch_offset_ + line_start) + offset_delta_);
  line.begin = static_cast<uint32_t>(line_start);
  for (;;) {
    Result<size_t> got = read_more(batch, line_start);
    if (!got.ok()) return got.error();
    size_t n = got.value();
    if (n == 0) {
      size = line_start;
      break;
    }
    const char* chunk = batch.data.data() + line_start;
    const char* newline = static_cast<const char*>(std::memchr(chunk, '\n', n));
    size_t part = newline ? static_cast<size_t>(newline - chunk) : n;
    digest.update({chunk, part});
    length += part;
    if (newline) {
      size_t rest = n - part - 1;
      std::memmove(batch.data.data() + line_start, newline + 1, rest);
      size = line_start + rest;
      batch.data.resize(size);
      // data[line_start] now sits `length + 1` bytes further into the file.
      offset_delta_ += static_cast<int64_t>(length + 1);
      break;
    }
  }
  line.oversize = static_cast<int32_t>(batch.oversize.size());
  batch.oversize.push_back({length, digest.hex_digest()});
  batch.lines.push_back(line);
  return ok_status();
}

Result<std::unique_ptr<Batch>> LineBatcher::next(std::unique_ptr<Batch> recycled) {
  if (done_) return std::unique_ptr<Batch>();
  std::unique_ptr<Batch> batch = recycled ? std::move(recycled) : std::make_unique<Batch>();
  batch->clear();
  ByteBuffer& data = batch->data;
  data.reserve(batch_bytes_ + chunk_bytes_ + record::kReadPadding);
  data.resize(carry_size_);
  if (carry_size_) std::memcpy(data.data(), carry_.data(), carry_size_);
  batch_offset_ = carry_offset_;
  offset_delta_ = 0;
  size_t size = carry_size_;
  size_t line_start = 0;
  size_t scanned = 0;
  for (;;) {
    while (scanned < size) {
      const char* begin = data.data() + scanned;
      const char* newline = static_cast<const char*>(std::memchr(begin, '\n', size - scanned));
      if (!newline) break;
      size_t end = static_cast<size_t>(newline - data.data());
      emit(*batch, line_start, end);
      line_start = scanned = end + 1;
    }
    scanned = size;
    if (size - line_start > max_line_bytes_) {
      Status s = skip_oversize_line(*batch, line_start, size);
      if (!s.ok()) return s.error();
      scanned = line_start;
      continue;
    }
    if (eof_ || line_start >= batch_bytes_) break;
    Result<size_t> got = read_more(*batch, size);
    if (!got.ok()) return got.error();
    size += got.value();
    if (!started_ && (size >= kBom.size() || eof_)) {
      started_ = true;
      if (std::string_view(data.data(), std::min(size, kBom.size())) == kBom) {
        std::memmove(data.data(), data.data() + kBom.size(), size - kBom.size());
        size -= kBom.size();
        data.resize(size);
        offset_delta_ += static_cast<int64_t>(kBom.size());
        bom_stripped_ = true;
        scanned = line_start = 0;
      }
    }
  }
  if (eof_) {
    if (line_start < size) emit(*batch, line_start, size);  // last line, no '\n'
    line_start = size;
    done_ = true;
  }
  carry_size_ = size - line_start;
  carry_.resize(carry_size_);
  if (carry_size_) std::memcpy(carry_.data(), data.data() + line_start, carry_size_);
  carry_offset_ = static_cast<uint64_t>(static_cast<int64_t>(batch_offset_ + line_start) + offset_delta_);
  data.resize(line_start);
  data.reserve(line_start + record::kReadPadding);
  if (batch->lines.empty() && done_) return std::unique_ptr<Batch>();
  return batch;
}

}  // namespace airlock::pipeline
