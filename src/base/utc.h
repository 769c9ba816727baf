// The current time as airlock writes it everywhere: UTC, ISO 8601, seconds.
#pragma once

#include <ctime>
#include <string>

namespace airlock {

inline std::string utc_timestamp() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace airlock
