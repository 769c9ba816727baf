// Measuring detection against labelled data: precision and recall per
// entity, for `airlock eval` and the accuracy tests.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace airlock::detect {

// A labelled value (a truth line) or a finding, as far as evaluation goes.
struct Span {
  uint64_t line = 0;
  std::string path;
  uint64_t start = 0;  // code points
  uint64_t end = 0;
  std::string entity;
};

// Reads JSON Lines of {"line", "path", "start", "end", "entity", …}: the
// findings format, and the truth format (the same fields). Errors name the
// file, the line and the reason.
Result<std::vector<Span>> read_spans(const std::string& path);

struct EntityScore {
  uint64_t true_positives = 0;   // findings that overlap a labelled value of their entity
  uint64_t false_positives = 0;  // findings that do not
  uint64_t false_negatives = 0;  // labelled values no finding overlaps
  double precision() const;
  double recall() const;
};

// Scores `found` against `truth`: a finding counts for a labelled value of
// the same entity, line and path whose span it overlaps; each labelled value
// is counted found at most once.
std::map<std::string, EntityScore> evaluate(const std::vector<Span>& truth, const std::vector<Span>& found);

// The table `airlock eval` prints.
std::string evaluation_table(const std::map<std::string, EntityScore>& scores);

}  // namespace airlock::detect
