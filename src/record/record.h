// record: one line of input as a record — decoding, field selection and
// splicing edited strings back into the original bytes.
//
// A JSON line is validated completely (syntax, UTF-8, escapes, depth) with
// simdjson On-Demand, walking every value. The strings at the selected JSON
// pointers come back decoded, with the byte span of their token in the line,
// so an edited string can be spliced in without re-serialising the record:
// a record without edits is written back byte for byte.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace airlock::record {

// Why a record goes to quarantine: a closed list, documented in
// docs/formats.md. Later components add their own codes here.
enum class Reason : uint8_t {
  kInvalidJson,
  kNotObject,
  kInvalidUtf8,
  kLoneSurrogate,
  kNulByte,
  kTooLarge,
  kTooDeep,
  kMissingField,
  kFieldType,
  kNormalizeLimit,
  kPolicyReject,
};
std::string_view reason_code(Reason reason);

// The quarantine reason of a record: a code and a detail that never quotes
// the input.
struct Problem {
  Reason reason = Reason::kInvalidJson;
  std::string detail;
};

// Which strings of a record are text to scan.
enum class Preset { kAuto, kChat, kBatch, kPreference, kText, kAll, kCustom };
std::string_view preset_name(Preset preset);

// One segment of a selector pointer: a key, an array index, or "*".
struct PointerStep {
  std::string key;        // unescaped ("b/c" for "b~1c")
  bool wildcard = false;  // "*": any key or index
  bool is_index = false;  // a canonical array index ("0", "17"; not "01")
  uint64_t index = 0;
};

class FieldSelector {
 public:
  // "auto", "chat", "batch", "preference", "text", "all", or a
  // comma-separated list of JSON pointers where "*" matches any key or index
  // ("/messages/*/content,/metadata/note").
  static Result<FieldSelector> parse(std::string_view spec);
  static FieldSelector for_preset(Preset preset);

  Preset preset() const { return preset_; }
  bool is_auto() const { return preset_ == Preset::kAuto; }
  bool is_text() const { return preset_ == Preset::kText; }
  bool selects_all_strings() const { return preset_ == Preset::kAll; }
  std::string describe() const;  // "chat (/messages/*/content, …)"

  // The parsed pointers, for the decoder.
  const std::vector<std::vector<PointerStep>>& steps() const { return steps_; }

 private:
  Preset preset_ = Preset::kAuto;
  std::vector<std::string> pointers_;
  std::vector<std::vector<PointerStep>> steps_;
};

// What "auto" picks for a file whose first non-empty line is `line`:
// chat, batch or preference by the record's shape, all for other JSON
// objects, text for lines that are not JSON objects.
Preset detect_preset(std::string_view line);

// A selected string of a record.
struct TextField {
  std::string_view pointer;  // JSON pointer ("/messages/1/content"); "" for a text line
  std::string_view text;     // decoded UTF-8
  std::string_view role;     // the "role" of the object holding it ("user", "assistant", …), if any
                             //   (all three valid until the decoder's next decode())
  uint32_t token_begin = 0;  // the string's bytes in the line: the JSON token with
  uint32_t token_end = 0;    //   its quotes, or the text of a plain text line
  bool replaced = false;     // set by a stage that edits the string
  std::string replacement;   // decoded UTF-8 that replaces `text`
  // Byte spans of `replacement` that a stage wrote (placeholders,
  // pseudonyms, surrogates): the verification pass does not judge them again.
  std::vector<std::pair<uint32_t, uint32_t>> inserted;
  // Set by a stage (with `replaced`) to remove the string's message — the
  // element of a "messages" array holding it — or, outside such an array,
  // its member of the enclosing object. A text line is emptied instead.
  bool dropped = false;
};

// Bytes that must be readable after a line passed to Decoder::decode (their
// content does not matter): simdjson reads ahead.
constexpr size_t kReadPadding = 64;

// Decodes lines; one per thread (it owns a simdjson parser).
class Decoder {
 public:
  Decoder();
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  enum class Mode {
    kFields,        // validate, and return the selected strings decoded
    kValidateOnly,  // validate only (selected fields must still be present): no copies, no fields
  };

  // Decodes `line` (without its '\n'), followed in memory by at least
  // kReadPadding readable bytes. On success fills `fields` and returns true;
  // otherwise fills `problem`. `fields` views stay valid until the next call.
  bool decode(std::string_view line, const FieldSelector& selector, std::vector<TextField>& fields, Problem& problem,
              Mode mode = Mode::kFields);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Writes `line` to `out` with every replaced field's token swapped for its
// replacement: JSON-escaped and quoted for JSON records, verbatim for text
// lines; dropped fields' messages or members are cut out (removal_spans).
// `fields` must be in line order (as decode() returns them).
void splice(std::string_view line, bool json, const std::vector<TextField>& fields, std::string& out);
// The same with the removal spans already known (removal_spans of `line`).
void splice(std::string_view line, bool json, const std::vector<TextField>& fields,
            const std::vector<std::pair<size_t, size_t>>& removed, std::string& out);

// The byte spans of a JSON `line` that its dropped fields remove, sorted and
// disjoint: each dropped field's message (or member) with one separating
// comma, so what remains is valid JSON. `line` must be valid JSON.
std::vector<std::pair<size_t, size_t>> removal_spans(std::string_view line, const std::vector<TextField>& fields);

// Appends `utf8` (valid UTF-8) as a JSON string literal, quotes included.
// Escapes '"', '\\' and control characters; everything else stays raw.
void append_json_string(std::string& out, std::string_view utf8);

// Appends arbitrary bytes as a JSON string literal without losing any:
// valid UTF-8 as append_json_string does, and each byte of an ill-formed
// sequence 0xXY as the escape \udcXY (Python's "surrogateescape", PEP 383):
// json.loads(...).encode("utf-8", "surrogateescape") gives the bytes back.
void append_json_string_lossless(std::string& out, std::string_view bytes);

// Whether this CPU can run the decoder as built (AVX2 unless built with
// -DAIRLOCK_AVX2=OFF); the CLI checks it before anything else.
Status check_cpu();

// True if `bytes` is well-formed UTF-8 (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view bytes);

}  // namespace airlock::record
