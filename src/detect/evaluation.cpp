#include "detect/evaluation.h"

#include <simdjson.h>

#include <cstdio>
#include <fstream>

namespace airlock::detect {

double EntityScore::precision() const {
  uint64_t reported = true_positives + false_positives;
  return reported ? static_cast<double>(true_positives) / static_cast<double>(reported) : 1.0;
}

double EntityScore::recall() const {
  uint64_t labelled = true_positives + false_negatives;
  return labelled ? static_cast<double>(true_positives) / static_cast<double>(labelled) : 1.0;
}

Result<std::vector<Span>> read_spans(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return input_error(path + ": cannot open");
  std::vector<Span> spans;
  simdjson::dom::parser parser;
  uint64_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string where = path + ":" + std::to_string(number) + ": ";
    simdjson::dom::object object;
    if (parser.parse(line).get_object().get(object) != simdjson::SUCCESS) {
      return input_error(where + "not a JSON object");
    }
    Span span;
    std::string_view path_text, entity;
    if (object["line"].get(span.line) || object["start"].get(span.start) || object["end"].get(span.end) ||
        object["path"].get(path_text) || object["entity"].get(entity)) {
      return input_error(where + "needs line, path, start, end and entity");
    }
    if (span.end < span.start) return input_error(where + "end before start");
    span.path = path_text;
    span.entity = entity;
    spans.push_back(std::move(span));
  }
  return spans;
}

std::map<std::string, EntityScore> evaluate(const std::vector<Span>& truth, const std::vector<Span>& found) {
  std::map<std::string, EntityScore> scores;
  std::vector<bool> matched(truth.size(), false);
  // Labelled values by (line, path), to look up each finding's neighbours.
  std::map<std::pair<uint64_t, std::string>, std::vector<size_t>> by_place;
  for (size_t i = 0; i < truth.size(); ++i) by_place[{truth[i].line, truth[i].path}].push_back(i);
  for (const Span& finding : found) {
    bool hit = false;
    auto place = by_place.find({finding.line, finding.path});
    if (place != by_place.end()) {
      for (size_t i : place->second) {
        const Span& label = truth[i];
        if (label.entity == finding.entity && finding.start < label.end && label.start < finding.end) {
          hit = true;
          matched[i] = true;
        }
      }
    }
    EntityScore& score = scores[finding.entity];
    (hit ? score.true_positives : score.false_positives) += 1;
  }
  // A labelled value several findings overlap counts once: true positives
  // are the labelled values found; extra overlapping findings are not false.
  for (auto& [entity, score] : scores) score.true_positives = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    EntityScore& score = scores[truth[i].entity];
    (matched[i] ? score.true_positives : score.false_negatives) += 1;
  }
  return scores;
}

std::string evaluation_table(const std::map<std::string, EntityScore>& scores) {
  std::string out;
  char line[200];
  std::snprintf(line, sizeof line, "%-24s %8s %8s %8s %10s %8s\n", "entity", "found", "false+", "missed", "precision",
                "recall");
  out += line;
  EntityScore total;
  for (const auto& [entity, s] : scores) {
    std::snprintf(line, sizeof line, "%-24s %8llu %8llu %8llu %10.3f %8.3f\n", entity.c_str(),
                  static_cast<unsigned long long>(s.true_positives), static_cast<unsigned long long>(s.false_positives),
                  static_cast<unsigned long long>(s.false_negatives), s.precision(), s.recall());
    out += line;
    total.true_positives += s.true_positives;
    total.false_positives += s.false_positives;
    total.false_negatives += s.false_negatives;
  }
  std::snprintf(line, sizeof line, "%-24s %8llu %8llu %8llu %10.3f %8.3f\n", "all",
                static_cast<unsigned long long>(total.true_positives),
                static_cast<unsigned long long>(total.false_positives),
                static_cast<unsigned long long>(total.false_negatives), total.precision(), total.recall());
  return out + line;
}

}  // namespace airlock::detect
