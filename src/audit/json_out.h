// Small helpers for writing the audit's JSON (internal to the component).
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <string_view>

#include "audit/audit.h"
#include "record/record.h"

namespace airlock::audit::internal {

inline std::string quote(std::string_view text) {
  std::string out;
  record::append_json_string_lossless(out, text);
  return out;
}

inline std::string number(double value, const char* format = "%.3f") {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

// {"a":1,"b":2}
inline std::string count_map(const std::map<std::string, uint64_t>& counts) {
  std::string out = "{";
  for (const auto& [key, n] : counts) {
    if (out.size() > 1) out += ',';
    out += quote(key) + ":" + std::to_string(n);
  }
  return out + "}";
}

// Joins already-written JSON values into an array.
template <typename Items, typename Write>
std::string array_of(const Items& items, Write write) {
  std::string out = "[";
  for (const auto& item : items) {
    if (out.size() > 1) out += ',';
    out += write(item);
  }
  return out + "]";
}

// The counts as the manifest and the audit footer write them.
std::string counts_json(const Counts& counts);

}  // namespace airlock::audit::internal
