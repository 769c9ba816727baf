// Parsing js-tiktoken's rank files into an open-addressing table.
#include "tokens/ranks.h"

#include <cstring>

namespace airlock::tokens {
namespace {

struct Expected {
  std::string_view pattern;  // as JSON-escaped in the file
  uint32_t ranks;
};

// The patterns pretokenize.cpp implements by hand, and the rank counts of
// tiktoken's published files (special tokens excluded).
Expected expected(Encoding encoding) {
  if (encoding == Encoding::kO200kBase) {
    return {
        R"([^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+)",
        199998};
  }
  return {
      R"(('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+)",
      100256};
}

// The value of `"key":"..."` in `file` (no escaped quotes occur in these
// values), or nullopt-like empty with found = false.
bool json_string_value(std::string_view file, std::string_view key, std::string_view& value) {
  std::string needle = "\"" + std::string(key) + "\":\"";
  size_t start = file.find(needle);
  if (start == std::string_view::npos) return false;
  start += needle.size();
  size_t end = file.find('"', start);
  if (end == std::string_view::npos) return false;
  value = file.substr(start, end - start);
  return true;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 with padding; false on anything else.
bool base64_decode(std::string_view text, std::string& out) {
  if (text.empty() || text.size() % 4 != 0) return false;
  uint32_t bits = 0;
  int held = 0;
  size_t padding = text.size() - text.find_last_not_of('=') - 1;
  if (padding > 2) return false;
  for (char c : text.substr(0, text.size() - padding)) {
    int v = base64_value(c);
    if (v < 0) return false;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    held += 6;
    if (held >= 8) {
      held -= 8;
      out.push_back(static_cast<char>((bits >> held) & 0xff));
    }
  }
  return true;
}

uint64_t hash_bytes(std::string_view bytes) {
  const char* p = bytes.data();
  size_t n = bytes.size();
  uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    h = (h ^ word) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  h = (h ^ tail) * 0x94d049bb133111ebull;
  return h ^ (h >> 29);
}

// Splits `text` at spaces and at the two characters `\n` (a JSON-escaped line
// break), calling `field(std::string_view, bool line_start)`.
template <typename OnField>
void for_each_field(std::string_view text, OnField&& field) {
  bool line_start = true;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = i;
    while (end < text.size() && text[end] != ' ' && text.compare(end, 2, "\\n") != 0) ++end;
    if (end > i) field(text.substr(i, end - i), line_start);
    line_start = false;
    if (end < text.size() && text[end] == '\\') {
      line_start = true;
      end += 2;
    } else if (end < text.size()) {
      ++end;
    }
    i = end;
  }
}

}  // namespace

bool Tokenizer::Ranks::insert(std::string_view bytes, uint32_t rank) {
  for (size_t i = hash_bytes(bytes) & mask;; i = (i + 1) & mask) {
    Slot& slot = slots[i];
    if (slot.length == 0) {
      slot = {static_cast<uint32_t>(arena.size()), rank, static_cast<uint32_t>(bytes.size())};
      arena.append(bytes);
      return true;
    }
    if (slot.length == bytes.size() && arena.compare(slot.offset, slot.length, bytes) == 0) return false;
  }
}

uint32_t Tokenizer::Ranks::find(std::string_view bytes) const {
  for (size_t i = hash_bytes(bytes) & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots[i];
    if (slot.length == 0) return kNone;
    if (slot.length == bytes.size() && std::memcmp(arena.data() + slot.offset, bytes.data(), bytes.size()) == 0) {
      return slot.rank;
    }
  }
}

Result<std::unique_ptr<const Tokenizer::Ranks>> Tokenizer::Ranks::parse(Encoding encoding, std::string_view file) {
  std::string name(encoding_name(encoding));
  auto damaged = [&](const std::string& reason) {
    return internal_error("embedded rank file " + name + ": " + reason + " (rebuild after tools/setup)");
  };
  Expected want = expected(encoding);
  std::string_view pattern, ranks_text;
  if (!json_string_value(file, "pat_str", pattern) || !json_string_value(file, "bpe_ranks", ranks_text)) {
    return damaged("no pat_str or bpe_ranks");
  }
  if (pattern != want.pattern) return damaged("its pre-tokenizer pattern is not the one airlock implements");

  auto ranks = std::make_unique<Ranks>();
  size_t capacity = 1;
  while (capacity < 2 * size_t{want.ranks}) capacity <<= 1;
  ranks->slots.assign(capacity, Slot{});
  ranks->mask = capacity - 1;
  ranks->arena.reserve(size_t{want.ranks} * 8);

  // Each line: a marker, the first rank, then consecutive ranks' tokens.
  uint64_t field_in_line = 0, next_rank = 0, count = 0;
  bool ok = true;
  std::string bytes;
  for_each_field(ranks_text, [&](std::string_view field, bool line_start) {
    if (line_start) field_in_line = 0;
    if (!ok || field_in_line++ == 0) return;
    if (field_in_line == 2) {
      next_rank = 0;
      for (char c : field) {
        if (c < '0' || c > '9' || next_rank > want.ranks) return void(ok = false);
        next_rank = next_rank * 10 + static_cast<uint64_t>(c - '0');
      }
      return;
    }
    bytes.clear();
    if (next_rank >= want.ranks || !base64_decode(field, bytes) ||
        !ranks->insert(bytes, static_cast<uint32_t>(next_rank))) {
      ok = false;
      return;
    }
    ++next_rank;
    ++count;
  });
  if (!ok) return damaged("a malformed, duplicate or out-of-range token");
  if (count != want.ranks)
    return damaged("it has " + std::to_string(count) + " ranks, not " + std::to_string(want.ranks));
  for (int byte = 0; byte < 256; ++byte) {
    if (ranks->find(std::string(1, static_cast<char>(byte))) == kNone) return damaged("a byte has no rank");
  }
  return std::unique_ptr<const Ranks>(std::move(ranks));
}

}  // namespace airlock::tokens
