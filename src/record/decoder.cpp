// Decoding a line: full validation with simdjson On-Demand by visiting every
// value, collecting the strings the selector picks with their byte spans.
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "record/record.h"

namespace airlock::record {
namespace {

namespace od = simdjson::ondemand;

// One step of the path from the root to the value being visited.
struct Segment {
  std::string_view key;  // object member name (unescaped)
  size_t index = 0;      // array index
  bool is_index = false;
};

// Nesting deeper than this is refused (too_deep): it bounds the recursion
// of the walk, and no real record comes near it.
constexpr size_t kMaxDepth = 1000;

constexpr bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool is_hex_surrogate(std::string_view hex, bool* high) {
  if (hex.size() != 4) return false;
  char a = static_cast<char>(hex[0] | 0x20), b = static_cast<char>(hex[1] | 0x20);
  if (a != 'd') return false;
  if (b >= '8' && b <= 'b') {
    *high = true;
    return true;
  }
  if (b >= 'c' && b <= 'f') {
    *high = false;
    return true;
  }
  return false;
}

// True if a JSON string token holds a \u escape of a surrogate that is not
// part of a high+low pair (RFC 8259 §8.2 leaves those "unpredictable").
bool has_lone_surrogate(std::string_view token) {
  bool pending_high = false;
  for (size_t i = 0; i + 1 < token.size(); ++i) {
    if (token[i] != '\\') {
      if (pending_high) return true;
      continue;
    }
    char escaped = token[i + 1];
    if (escaped == 'u' && i + 6 <= token.size()) {
      bool high = false;
      bool surrogate = is_hex_surrogate(token.substr(i + 2, 4), &high);
      if (pending_high && !(surrogate && !high)) return true;  // high not followed by low
      if (surrogate && !high && !pending_high) return true;    // low without high
      pending_high = surrogate && high && !pending_high;
      i += 5;
    } else {
      if (pending_high) return true;
      ++i;
    }
  }
  return pending_high;
}

// True if a JSON string body holds no backslash and no control character,
// so that it decodes to itself. Eight bytes at a time (SWAR): a byte below
// 0x20 or equal to '\\' sets its high bit in the mask.
// True if a JSON string body holds no backslash, so that it decodes to
// itself: unescaped control characters, the only other thing that would
// make it differ, are refused by simdjson's first stage for the whole line.
bool is_plain_string(std::string_view body) { return std::memchr(body.data(), '\\', body.size()) == nullptr; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(c | 0x20);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// The code unit of a \uXXXX escape at body[i] ('\\'), or -1.
int unicode_escape_at(std::string_view body, size_t i) {
  if (i + 6 > body.size() || body[i] != '\\' || body[i + 1] != 'u') return -1;
  int value = 0;
  for (size_t k = i + 2; k < i + 6; ++k) {
    int digit = hex_value(body[k]);
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

enum class Escapes { kValid, kInvalid, kLoneSurrogate };

// Checks every escape of a string body without decoding it (RFC 8259 §7),
// for records that only need validating.
Escapes check_escapes(std::string_view body) {
  for (size_t i = body.find('\\'); i != std::string_view::npos; i = body.find('\\', i)) {
    if (i + 1 >= body.size()) return Escapes::kInvalid;
    switch (body[i + 1]) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
        i += 2;
        continue;
      case 'u':
        break;
      default:
        return Escapes::kInvalid;
    }
    int unit = unicode_escape_at(body, i);
    if (unit < 0) return Escapes::kInvalid;
    if (unit >= 0xDC00 && unit <= 0xDFFF) return Escapes::kLoneSurrogate;
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      int low = unicode_escape_at(body, i + 6);
      if (low < 0xDC00 || low > 0xDFFF) return Escapes::kLoneSurrogate;
      i += 12;
    } else {
      i += 6;
    }
  }
  return Escapes::kValid;
}

Problem problem_for(simdjson::error_code error) {
  switch (error) {
    case simdjson::UTF8_ERROR:
      return {Reason::kInvalidUtf8, "the line is not valid UTF-8"};
    case simdjson::DEPTH_ERROR:
      return {Reason::kTooDeep, "nesting deeper than " + std::to_string(kMaxDepth) + " levels"};
    case simdjson::UNESCAPED_CHARS:
      return {Reason::kInvalidJson, "unescaped control character inside a string"};
    default:
      break;
  }
  return {Reason::kInvalidJson, std::string("not valid JSON: ") + simdjson::error_message(error)};
}

}  // namespace

struct Decoder::Impl {
  od::parser parser;
  std::unique_ptr<simdjson::dom::parser> dom;  // only to classify records that are not objects
  std::vector<Segment> path;
  const FieldSelector* selector = nullptr;
  std::vector<TextField>* fields = nullptr;
  std::string_view line;
  bool matched_any = false;    // some selected path was present (even as null)
  bool validate_only = false;  // check the record, collect no fields
  std::string_view last_role;  // the value of the last "role" string member visited
  // Pointers of the selected fields, one after another; fields view them
  // once the record is done (the string may move while it grows).
  std::string pointers;
  std::vector<std::pair<size_t, size_t>> pointer_spans;
  Problem problem;

  bool fail(simdjson::error_code error, std::string_view token = {}) {
    problem = problem_for(error);
    if (error == simdjson::STRING_ERROR && has_lone_surrogate(token)) {
      problem = {Reason::kLoneSurrogate, "a \\u escape encodes a lone UTF-16 surrogate"};
    }
    return false;
  }
  bool fail(Reason reason, std::string detail) {
    problem = {reason, std::move(detail)};
    return false;
  }

  // Patterns still matching after stepping into `segment` at `depth`.
  uint64_t advance(uint64_t live, size_t depth, const Segment& segment) const {
    const auto& patterns = selector->steps();
    uint64_t next = 0;
    for (uint64_t bits = live; bits; bits &= bits - 1) {
      int p = __builtin_ctzll(bits);
      if (patterns[p].size() <= depth) continue;
      const PointerStep& want = patterns[p][depth];
      bool match =
          want.wildcard || (segment.is_index ? want.is_index && want.index == segment.index : want.key == segment.key);
      if (match) next |= uint64_t{1} << p;
    }
    return next;
  }

  // Of the live patterns, which end exactly here and which go deeper.
  void split_live(uint64_t live, size_t depth, uint64_t* ending, uint64_t* deeper) const {
    *ending = *deeper = 0;
    for (uint64_t bits = live; bits; bits &= bits - 1) {
      int p = __builtin_ctzll(bits);
      size_t length = selector->steps()[p].size();
      if (length == depth) *ending |= uint64_t{1} << p;
      if (length > depth) *deeper |= uint64_t{1} << p;
    }
  }

  // Whether a selected value that is a container has the shape some longer
  // pattern expects: an object needs a pattern naming one of its keys next,
  // an array one with "*" or an index next. "content": {"text": ...} is not
  // a list of parts; passing it would leave its strings unchecked.
  bool container_expected(uint64_t deeper, size_t depth, bool is_object) const {
    for (uint64_t bits = deeper; bits; bits &= bits - 1) {
      const PointerStep& next = selector->steps()[__builtin_ctzll(bits)][depth];
      if (is_object != (next.wildcard || next.is_index)) return true;
    }
    return false;
  }

  // The escaped text of a key, from just after its opening quote to its
  // closing quote (or the end of the line).
  std::string_view key_token(const char* start) const {
    const char* end = line.data() + line.size();
    const char* p = start;
    while (p < end && *p != '"') p += (*p == '\\' && p + 1 < end) ? 2 : 1;
    return {start, static_cast<size_t>(std::min(p, end) - start)};
  }

  // Appends the JSON pointer of the value being visited to `out`.
  void append_pointer(std::string& out) const {
    for (const Segment& segment : path) {
      out += '/';
      if (segment.is_index) {
        char digits[24];
        auto [end, ec] = std::to_chars(digits, digits + sizeof digits, segment.index);
        out.append(digits, end);
        continue;
      }
      for (char c : segment.key) {
        if (c == '~') {
          out += "~0";
        } else if (c == '/') {
          out += "~1";
        } else {
          out += c;
        }
      }
    }
  }

  std::string current_pointer() const {
    std::string pointer;
    append_pointer(pointer);
    return pointer;
  }

  bool visit_string(od::value& value, bool selected) {
    std::string_view token = value.raw_json_token();
    while (!token.empty() && is_json_space(token.back())) token.remove_suffix(1);
    if (validate_only) {
      if (token.size() < 2) return fail(simdjson::STRING_ERROR);
      switch (check_escapes(token.substr(1, token.size() - 2))) {
        case Escapes::kValid:
          return true;
        case Escapes::kLoneSurrogate:
          return fail(simdjson::STRING_ERROR, token);
        case Escapes::kInvalid:
          return fail(simdjson::STRING_ERROR);
      }
    }
    std::string_view text;
    if (token.size() >= 2 && is_plain_string(token.substr(1, token.size() - 2))) {
      // No escape and no control character: the decoded value is the bytes
      // between the quotes (UTF-8 was checked for the whole line), so skip
      // the copy that unescaping makes. The iterator skips the value.
      text = token.substr(1, token.size() - 2);
    } else if (auto e = value.get_string().get(text)) {
      return fail(e, token);
    }
    if (!path.empty() && !path.back().is_index && path.back().key == "role") last_role = text;
    if (!selected) return true;
    TextField field;
    field.text = text;
    field.token_begin = static_cast<uint32_t>(token.data() - line.data());
    field.token_end = static_cast<uint32_t>(field.token_begin + token.size());
    size_t pointer_start = pointers.size();
    append_pointer(pointers);
    pointer_spans.emplace_back(pointer_start, pointers.size() - pointer_start);
    fields->push_back(std::move(field));
    return true;
  }

  bool visit_object(od::object object, uint64_t live) {
    size_t first_field = fields->size();
    std::string_view role;  // this object's "role" member, when it is a string
    for (auto member_result : object) {
      od::field member;
      if (auto e = std::move(member_result).get(member)) return fail(e);
      // Most keys need no unescaping: view them in place, as for strings.
      std::string_view key = key_token(member.key().raw());
      if (!is_plain_string(key)) {
        std::string_view escaped = key;
        if (auto e = member.unescaped_key().get(key)) return fail(e, escaped);
      }
      Segment segment{key, 0, false};
      uint64_t next = live ? advance(live, path.size(), segment) : 0;
      path.push_back(segment);
      od::value child = member.value();
      last_role = {};
      bool ok = visit(child, next);
      if (key == "role") role = last_role;
      path.pop_back();
      if (!ok) return false;
    }
    // Strings inside a message carry its role ("content" may come before
    // "role"); an inner object's own role was assigned first.
    if (!role.empty()) {
      for (size_t i = first_field; i < fields->size(); ++i) {
        if ((*fields)[i].role.empty()) (*fields)[i].role = role;
      }
    }
    return true;
  }

  bool visit_array(od::array array, uint64_t live) {
    size_t index = 0;
    for (auto element_result : array) {
      od::value element;
      if (auto e = std::move(element_result).get(element)) return fail(e);
      Segment segment{{}, index++, true};
      uint64_t next = live ? advance(live, path.size(), segment) : 0;
      path.push_back(segment);
      bool ok = visit(element, next);
      path.pop_back();
      if (!ok) return false;
    }
    return true;
  }

  // Visits one value; `live` holds the patterns whose prefix matches its path.
  bool visit(od::value& value, uint64_t live) {
    od::json_type type;
    if (auto e = value.type().get(type)) return fail(e);
    uint64_t ending = 0, deeper = 0;
    if (live) split_live(live, path.size(), &ending, &deeper);
    bool selected = ending != 0 || selector->selects_all_strings();
    if (ending) matched_any = true;
    switch (type) {
      case od::json_type::string:
        return visit_string(value, selected);
      case od::json_type::object:
      case od::json_type::array:
        if (path.size() >= kMaxDepth) return fail(simdjson::DEPTH_ERROR);
        if (ending && !container_expected(deeper, path.size(), type == od::json_type::object)) {
          return wrong_type(type == od::json_type::object ? "an object" : "an array");
        }
        if (type == od::json_type::object) {
          od::object object;
          if (auto e = value.get_object().get(object)) return fail(e);
          return visit_object(object, deeper);
        } else {
          od::array array;
          if (auto e = value.get_array().get(array)) return fail(e);
          return visit_array(array, deeper);
        }
      case od::json_type::number: {
        double number;
        if (auto e = value.get_double().get(number)) return fail(e);
        return ending ? wrong_type("a number") : true;
      }
      case od::json_type::boolean: {
        bool flag;
        if (auto e = value.get_bool().get(flag)) return fail(e);
        return ending ? wrong_type("a boolean") : true;
      }
      case od::json_type::null: {
        bool is_null = false;
        if (auto e = value.is_null().get(is_null)) return fail(e);
        if (!is_null) return fail(simdjson::N_ATOM_ERROR);
        return true;  // a selected null (e.g. content of a tool call) holds no text
      }
    }
    return fail(simdjson::TAPE_ERROR);
  }

  bool wrong_type(const char* what) {
    return fail(Reason::kFieldType, "selected field " + current_pointer() + " holds " + what + ", not a string");
  }

  // A record that is not an object: valid JSON of another type, or invalid.
  bool classify_non_object() {
    if (!dom) dom = std::make_unique<simdjson::dom::parser>();
    simdjson::dom::element root;
    auto e = dom->parse(line.data(), line.size(), false).get(root);
    if (e) return fail(e);
    return fail(Reason::kNotObject, "the record is valid JSON but not an object");
  }

  bool decode_json() {
    path.clear();
    pointers.clear();
    pointer_spans.clear();
    matched_any = false;
    od::document doc;
    auto padded = simdjson::padded_string_view(line.data(), line.size(), line.size() + kReadPadding);
    if (auto e = parser.iterate(padded).get(doc)) return fail(e);
    od::object root;
    if (doc.get_object().get(root) != simdjson::SUCCESS) return classify_non_object();
    if (!visit_object(root, selector->steps().empty() ? 0 : ~uint64_t{0} >> (64 - selector->steps().size()))) {
      return false;
    }
    const char* after = nullptr;
    if (doc.current_location().get(after) == simdjson::SUCCESS) {
      return fail(Reason::kInvalidJson, "not valid JSON: content after the end of the object");
    }
    if (!matched_any && !selector->selects_all_strings()) {
      return fail(Reason::kMissingField, "none of the selected fields is present: " + selector->describe());
    }
    for (size_t i = 0; i < fields->size(); ++i) {
      (*fields)[i].pointer = std::string_view(pointers).substr(pointer_spans[i].first, pointer_spans[i].second);
    }
    return true;
  }

  bool decode_text() {
    std::string_view text = line;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (!is_valid_utf8(text)) return fail(Reason::kInvalidUtf8, "the line is not valid UTF-8");
    TextField field;
    field.text = text;
    field.token_begin = 0;
    field.token_end = static_cast<uint32_t>(text.size());
    fields->push_back(std::move(field));
    return true;
  }
};

Decoder::Decoder() : impl_(std::make_unique<Impl>()) {}
Decoder::~Decoder() = default;

bool Decoder::decode(std::string_view line, const FieldSelector& selector, std::vector<TextField>& fields,
                     Problem& problem, Mode mode) {
  fields.clear();
  if (std::memchr(line.data(), '\0', line.size()) != nullptr) {
    problem = {Reason::kNulByte, "the line holds a raw NUL byte"};
    return false;
  }
  Impl& impl = *impl_;
  impl.selector = &selector;
  impl.fields = &fields;
  impl.line = line;
  impl.validate_only = mode == Mode::kValidateOnly;
  bool ok = selector.is_text() ? impl.decode_text() : impl.decode_json();
  if (!ok) {
    fields.clear();
    problem = std::move(impl.problem);
  }
  return ok;
}

}  // namespace airlock::record

namespace airlock::record {

std::string_view reason_code(Reason reason) {
  switch (reason) {
    case Reason::kInvalidJson:
      return "invalid_json";
    case Reason::kNotObject:
      return "not_object";
    case Reason::kInvalidUtf8:
      return "invalid_utf8";
    case Reason::kLoneSurrogate:
      return "lone_surrogate";
    case Reason::kNulByte:
      return "nul_byte";
    case Reason::kTooLarge:
      return "too_large";
    case Reason::kTooDeep:
      return "too_deep";
    case Reason::kMissingField:
      return "missing_field";
    case Reason::kFieldType:
      return "field_type";
    case Reason::kNormalizeLimit:
      return "normalize_limit";
    case Reason::kPolicyReject:
      return "policy_reject";
  }
  return "invalid_json";
}

}  // namespace airlock::record
