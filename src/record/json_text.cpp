// Writing JSON string literals and splicing edited strings into a line.
#include <simdjson.h>

#include <algorithm>

#include "record/record.h"

namespace airlock::record {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_unicode_escape(std::string& out, unsigned code) {
  out += "\\u";
  out += kHex[(code >> 12) & 15];
  out += kHex[(code >> 8) & 15];
  out += kHex[(code >> 4) & 15];
  out += kHex[code & 15];
}

// Length of the well-formed UTF-8 sequence starting at bytes[i] (RFC 3629,
// Table 3-7 of the Unicode standard), or 0 if it is ill-formed.
size_t utf8_sequence_length(std::string_view bytes, size_t i) {
  auto at = [&](size_t k) { return static_cast<unsigned char>(bytes[k]); };
  auto is_cont = [&](size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
    return k < bytes.size() && at(k) >= lo && at(k) <= hi;
  };
  unsigned char b = at(i);
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return is_cont(i + 1) ? 2 : 0;
  if (b == 0xE0) return is_cont(i + 1, 0xA0, 0xBF) && is_cont(i + 2) ? 3 : 0;
  if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) return is_cont(i + 1) && is_cont(i + 2) ? 3 : 0;
  if (b == 0xED) return is_cont(i + 1, 0x80, 0x9F) && is_cont(i + 2) ? 3 : 0;  // no surrogates
  if (b == 0xF0) return is_cont(i + 1, 0x90, 0xBF) && is_cont(i + 2) && is_cont(i + 3) ? 4 : 0;
  if (b >= 0xF1 && b <= 0xF3) return is_cont(i + 1) && is_cont(i + 2) && is_cont(i + 3) ? 4 : 0;
  if (b == 0xF4) return is_cont(i + 1, 0x80, 0x8F) && is_cont(i + 2) && is_cont(i + 3) ? 4 : 0;
  return 0;
}

// Appends one byte of text, escaped as JSON requires.
inline void append_escaped_byte(std::string& out, char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    default:
      break;
  }
  if (static_cast<unsigned char>(c) < 0x20) {
    append_unicode_escape(out, static_cast<unsigned char>(c));
  } else {
    out += c;
  }
}

inline bool needs_escape(char c) { return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20; }

}  // namespace

bool is_valid_utf8(std::string_view bytes) { return simdjson::validate_utf8(bytes.data(), bytes.size()); }

void append_json_string(std::string& out, std::string_view utf8) {
  out += '"';
  size_t run_start = 0;
  for (size_t i = 0; i < utf8.size(); ++i) {
    if (!needs_escape(utf8[i])) continue;
    out.append(utf8.data() + run_start, i - run_start);
    append_escaped_byte(out, utf8[i]);
    run_start = i + 1;
  }
  out.append(utf8.data() + run_start, utf8.size() - run_start);
  out += '"';
}

void append_json_string_lossless(std::string& out, std::string_view bytes) {
  out += '"';
  size_t i = 0;
  while (i < bytes.size()) {
    size_t length = utf8_sequence_length(bytes, i);
    if (length == 0) {
      append_unicode_escape(out, 0xDC00u | static_cast<unsigned char>(bytes[i]));
      ++i;
    } else if (length == 1) {
      append_escaped_byte(out, bytes[i]);
      ++i;
    } else {
      out.append(bytes.data() + i, length);
      i += length;
    }
  }
  out += '"';
}

void splice(std::string_view line, bool json, const std::vector<TextField>& fields, std::string& out) {
  bool drops = json && std::any_of(fields.begin(), fields.end(), [](const TextField& f) { return f.dropped; });
  splice(line, json, fields, drops ? removal_spans(line, fields) : std::vector<std::pair<size_t, size_t>>(), out);
}

void splice(std::string_view line, bool json, const std::vector<TextField>& fields,
            const std::vector<std::pair<size_t, size_t>>& removed, std::string& out) {
  size_t copied_to = 0;
  size_t next_removal = 0;
  for (const TextField& field : fields) {
    if (!field.replaced) continue;
    // Cut the removals that come before this field; skip a field inside one.
    for (; next_removal < removed.size() && removed[next_removal].first <= field.token_begin; ++next_removal) {
      out.append(line.data() + copied_to, removed[next_removal].first - copied_to);
      copied_to = removed[next_removal].second;
    }
    if (field.token_begin < copied_to) continue;
    out.append(line.data() + copied_to, field.token_begin - copied_to);
    if (json) {
      append_json_string(out, field.dropped ? std::string() : field.replacement);
    } else {
      // A plain text record is one line: a line break in a replacement
      // would split it in two. A dropped text line is emptied.
      if (!field.dropped) {
        for (char c : field.replacement) out += (c == '\n' || c == '\r') ? ' ' : c;
      }
    }
    copied_to = field.token_end;
  }
  for (; next_removal < removed.size(); ++next_removal) {
    out.append(line.data() + copied_to, removed[next_removal].first - copied_to);
    copied_to = removed[next_removal].second;
  }
  out.append(line.data() + copied_to, line.size() - copied_to);
}

}  // namespace airlock::record
