// Reading configuration files (rule packs, policies) written in YAML, with
// errors that name the file, the line, what is being read and the reason:
//   "rules/pii.yaml:12: rule pii.email: 'score' must be a number from 0 to 1"
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "base/status.h"

namespace airlock::config {

// Reads and parses a YAML file of at most 16 MiB; `bytes`, when given,
// receives the file's content (for digests). Parse errors come back as
// usage errors with the file and line; yaml-cpp's exceptions never escape.
Result<YAML::Node> load_yaml_file(const std::string& path, std::string* bytes = nullptr);

class YamlReader {
 public:
  // `subject_kind` prefixes the name of what is read in messages ("rule ").
  YamlReader(std::string file, std::string subject_kind) : file_(std::move(file)), kind_(std::move(subject_kind)) {}

  const std::string& file() const { return file_; }
  // "FILE:LINE: <kind><subject>: reason" (the subject part only when named).
  Error error_at(const YAML::Node& node, const std::string& subject, const std::string& reason) const;

  Result<std::string> scalar(const YAML::Node& node, const std::string& subject, const std::string& key) const;
  Result<std::vector<std::string>> strings(const YAML::Node& node, const std::string& subject,
                                           const std::string& key) const;
  Result<double> number(const YAML::Node& node, const std::string& subject, const std::string& key, double min,
                        double max) const;
  // Refuses keys of `map` that are not in `allowed`; `what` names the map.
  Status check_keys(const YAML::Node& map, const std::string& subject, std::initializer_list<const char*> allowed,
                    const std::string& what) const;

 private:
  std::string file_;
  std::string kind_;
};

}  // namespace airlock::config
