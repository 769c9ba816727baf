// Cutting a message or a member out of a valid JSON record, for the drop
// action: a small structural scan finds where the item holding a string
// begins and ends, and the comma that separates it from its neighbours.
#include <algorithm>

#include "record/record.h"

namespace airlock::record {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The index just past the string literal starting at `i` (a '"').
size_t skip_string(std::string_view json, size_t i) {
  for (++i; i < json.size(); ++i) {
    if (json[i] == '\\') ++i;
    else if (json[i] == '"') return i + 1;
  }
  return json.size();
}

// The number of pointer segments of the item to remove: up to the element
// of a "messages" array when the pointer goes through one, else the whole
// pointer (the field's own member or element).
size_t drop_depth(std::string_view pointer) {
  size_t depth = 0, messages_element = 0;
  bool previous_was_messages = false;
  for (size_t i = 0; i < pointer.size();) {
    size_t next = pointer.find('/', i + 1);
    std::string_view segment = pointer.substr(i + 1, next == std::string_view::npos ? std::string_view::npos : next - i - 1);
    ++depth;
    if (previous_was_messages) messages_element = depth;
    previous_was_messages = segment == "messages";
    if (next == std::string_view::npos) break;
    i = next;
  }
  return messages_element ? messages_element : depth;
}

// `end` moved back over whitespace, not before `begin`.
size_t trim_end(std::string_view json, size_t begin, size_t end) {
  while (end > begin && is_space(json[end - 1])) --end;
  return end;
}

// One container being scanned: where its current item began.
struct Level {
  size_t item_start = std::string_view::npos;
  bool expect_item = true;
};

// The span [begin, end) of the item at `depth` that holds the string token
// starting at `token_begin`, with one separating comma.
std::pair<size_t, size_t> item_span(std::string_view json, size_t token_begin, size_t depth) {
  std::vector<Level> stack;
  size_t i = 0;
  // Down to the token, noting where each enclosing item starts.
  while (i < json.size() && i != token_begin) {
    char c = json[i];
    if (is_space(c) || c == ':') {
      ++i;
      continue;
    }
    if (!stack.empty() && stack.back().expect_item) {
      stack.back().item_start = i;
      stack.back().expect_item = false;
    }
    if (c == '{' || c == '[') {
      stack.push_back({});
      ++i;
    } else if (c == '}' || c == ']') {
      stack.pop_back();
      ++i;
    } else if (c == ',') {
      stack.back().expect_item = true;
      ++i;
    } else if (c == '"') {
      i = skip_string(json, i);
    } else {
      ++i;  // a number, true, false or null: one character at a time is enough
    }
  }
  if (!stack.empty() && stack.back().expect_item) stack.back().item_start = token_begin;
  if (depth == 0 || depth > stack.size()) return {token_begin, token_begin};
  size_t level = depth - 1;  // stack[level] holds the item to remove
  size_t begin = stack[level].item_start;
  // Up from the token to the end of that item: the next ',' or closing
  // bracket at its container's level.
  size_t nesting = stack.size() - level;  // containers open inside the item's container, plus itself
  size_t end = i;
  for (; end < json.size(); ++end) {
    char c = json[end];
    if (c == '"') {
      end = skip_string(json, end) - 1;
    } else if (c == '{' || c == '[') {
      ++nesting;
    } else if (c == '}' || c == ']') {
      if (--nesting == 0) break;
    } else if (c == ',' && nesting == 1) {
      break;
    }
  }
  // `end` is at the separator or the container's end. Take one comma:
  // the one before the item if there is one, else the one after it.
  size_t before = begin;
  while (before > 0 && is_space(json[before - 1])) --before;
  if (before > 0 && json[before - 1] == ',') return {before - 1, trim_end(json, begin, end)};
  if (end < json.size() && json[end] == ',') {
    size_t after = end + 1;
    while (after < json.size() && is_space(json[after])) ++after;
    return {begin, after};
  }
  return {begin, trim_end(json, begin, end)};
}

}  // namespace

std::vector<std::pair<size_t, size_t>> removal_spans(std::string_view line, const std::vector<TextField>& fields) {
  std::vector<std::pair<size_t, size_t>> spans;
  for (const TextField& field : fields) {
    if (!field.dropped) continue;
    spans.push_back(item_span(line, field.token_begin, drop_depth(field.pointer)));
  }
  std::sort(spans.begin(), spans.end());
  // Several dropped strings of one message give the same span; a message
  // inside a dropped member gives one inside another: keep the outer ones.
  std::vector<std::pair<size_t, size_t>> merged;
  for (const auto& span : spans) {
    if (!merged.empty() && span.first < merged.back().second) {
      merged.back().second = std::max(merged.back().second, span.second);
    } else {
      merged.push_back(span);
    }
  }
  return merged;
}

}  // namespace airlock::record
