// The ASCII armor: strict PEM, written and read line by line.
#include "crypto/armor.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "crypto/encoding.h"
#include "crypto/header.h"

namespace airlock::crypto::internal {
namespace {

constexpr size_t kWriteBatch = 64 * 1024;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

bool all_space(std::string_view text) { return std::all_of(text.begin(), text.end(), is_space); }

}  // namespace

// --- writing ------------------------------------------------------------------

Status ArmorWriter::flush_lines(bool force) {
  if (encoded_.size() < kWriteBatch && !force) return ok_status();
  Status s = out_.write(encoded_);
  encoded_.clear();
  return s;
}

void ArmorWriter::start() {
  if (started_) return;
  encoded_.append(kArmorBegin).append("\n");
  started_ = true;
}

void ArmorWriter::encode_line(const char* data, size_t size) {
  base64_append_padded(reinterpret_cast<const uint8_t*>(data), size, &encoded_);
  encoded_ += '\n';
}

Status ArmorWriter::write(std::string_view bytes) {
  start();
  // Complete a partial line first, then encode whole lines straight from
  // `bytes`, keeping only the remainder (< 48 bytes) for later.
  if (!pending_.empty()) {
    size_t take = std::min(bytes.size(), kArmorBytesPerLine - pending_.size());
    pending_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (pending_.size() < kArmorBytesPerLine) return ok_status();
    encode_line(pending_.data(), pending_.size());
    pending_.clear();
  }
  for (; bytes.size() >= kArmorBytesPerLine; bytes.remove_prefix(kArmorBytesPerLine)) {
    encode_line(bytes.data(), kArmorBytesPerLine);
    if (Status s = flush_lines(false); !s.ok()) return s;
  }
  pending_.assign(bytes);
  return ok_status();
}

Status ArmorWriter::finish() {
  start();
  if (!pending_.empty()) {
    encode_line(pending_.data(), pending_.size());
    pending_.clear();
  }
  encoded_.append(kArmorEnd).append("\n");
  if (Status s = flush_lines(true); !s.ok()) return s;
  return out_.finish();
}

// --- reading ------------------------------------------------------------------

Error ArmorReader::fail(const std::string& reason) {
  error_ = input_error("invalid armor: " + reason);
  return *error_;
}

// One line without its "\n" or "\r\n"; false at the end of input.
Result<bool> ArmorReader::get_line(std::string* line) {
  Result<bool> got = in_.read_line(line, kArmorMaxWhitespace + kArmorColumns);
  if (!got.ok()) {
    error_ = got.error();
    return got.error();
  }
  if (!got.value()) return false;
  if (line->size() > kArmorMaxWhitespace + kArmorColumns) return fail("line too long");
  if (!line->empty() && line->back() == '\n') line->pop_back();
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return true;
}

Status ArmorReader::expect_end() {
  // After the END line: only whitespace, and not much of it.
  std::string trailing;
  std::string chunk;
  for (;;) {
    Result<bool> got = in_.read_line(&chunk, kArmorMaxWhitespace);
    if (!got.ok()) {
      error_ = got.error();
      return got.error();
    }
    if (!got.value()) break;
    trailing += chunk;
    if (!all_space(trailing)) return fail("data after the END line");
    if (trailing.size() >= kArmorMaxWhitespace) return fail("too much whitespace after the END line");
  }
  ended_ = true;
  return ok_status();
}

Status ArmorReader::next_line() {
  std::string line;
  if (!started_) {
    size_t skipped = 0;
    for (;;) {
      Result<bool> got = get_line(&line);
      if (!got.ok()) return got.error();
      if (!got.value()) return fail("no BEGIN line (not an age file?)");
      if (!all_space(line)) break;
      skipped += line.size() + 1;
      if (skipped > kArmorMaxWhitespace) return fail("too much whitespace before the BEGIN line");
    }
    if (line != kArmorBegin) return fail("the first line is not '" + std::string(kArmorBegin) + "' (not an age file?)");
    started_ = true;
  }
  Result<bool> got = get_line(&line);
  if (!got.ok()) return got.error();
  if (!got.value()) return fail("no END line (truncated?)");
  if (line == kArmorEnd) return expect_end();
  if (line.empty()) return fail("an empty line inside the armor");
  if (line.size() > kArmorColumns) return fail("a line is longer than 64 columns");
  std::optional<Bytes> bytes = base64_decode_padded(line);
  if (!bytes) return fail("a line is not canonical padded base64");
  decoded_.assign(bytes->begin(), bytes->end());
  decoded_at_ = 0;
  if (bytes->size() < kArmorBytesPerLine) {
    // A short line is the last one: the END line must follow.
    got = get_line(&line);
    if (!got.ok()) return got.error();
    if (!got.value() || line != kArmorEnd) return fail("a short line is not followed by the END line");
    return expect_end();
  }
  return ok_status();
}

Result<size_t> ArmorReader::read(char* buffer, size_t capacity) {
  if (error_) return *error_;
  size_t done = 0;
  while (done < capacity) {
    if (decoded_at_ == decoded_.size()) {
      if (ended_) break;
      if (Status s = next_line(); !s.ok()) {
        if (done > 0) break;  // hand out what decoded cleanly; the error comes next call
        return s.error();
      }
      continue;
    }
    size_t take = std::min(capacity - done, decoded_.size() - decoded_at_);
    std::memcpy(buffer + done, decoded_.data() + decoded_at_, take);
    decoded_at_ += take;
    done += take;
  }
  return done;
}

bool looks_binary(std::string_view start) {
  size_t n = std::min(start.size(), kMagicPrefix.size());
  return start.substr(0, n) == kMagicPrefix.substr(0, n);
}

}  // namespace airlock::crypto::internal
