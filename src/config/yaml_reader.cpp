#include "config/yaml_reader.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace airlock::config {
namespace {
constexpr size_t kMaxFileBytes = 16u << 20;
}  // namespace

Result<YAML::Node> load_yaml_file(const std::string& path, std::string* bytes_out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return usage_error(path + ": cannot open");
  std::string bytes;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    bytes.append(buffer, static_cast<size_t>(in.gcount()));
    if (bytes.size() > kMaxFileBytes) return usage_error(path + ": larger than 16 MiB");
  }
  try {
    YAML::Node root = YAML::Load(bytes);
    if (bytes_out) *bytes_out = std::move(bytes);
    return root;
  } catch (const YAML::Exception& e) {
    return usage_error(path + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    return usage_error(path + ": invalid YAML: " + e.what());
  }
}

Error YamlReader::error_at(const YAML::Node& node, const std::string& subject, const std::string& reason) const {
  std::string where = file_;
  if (node.IsDefined() && node.Mark().line >= 0) where += ":" + std::to_string(node.Mark().line + 1);
  return usage_error(where + ": " + (subject.empty() ? "" : kind_ + subject + ": ") + reason);
}

Result<std::string> YamlReader::scalar(const YAML::Node& node, const std::string& subject,
                                       const std::string& key) const {
  if (!node.IsScalar()) return error_at(node, subject, "'" + key + "' must be a string");
  return node.Scalar();
}

Result<std::vector<std::string>> YamlReader::strings(const YAML::Node& node, const std::string& subject,
                                                     const std::string& key) const {
  if (!node.IsSequence()) return error_at(node, subject, "'" + key + "' must be a list of strings");
  std::vector<std::string> out;
  for (const YAML::Node& item : node) {
    if (!item.IsScalar()) return error_at(item, subject, "'" + key + "' must be a list of strings");
    out.push_back(item.Scalar());
  }
  return out;
}

Result<double> YamlReader::number(const YAML::Node& node, const std::string& subject, const std::string& key,
                                  double min, double max) const {
  double value = 0;
  if (!node.IsScalar() || !YAML::convert<double>::decode(node, value) || !(value >= min && value <= max)) {
    std::ostringstream range;
    range << min << " to " << max;
    return error_at(node, subject, "'" + key + "' must be a number from " + range.str());
  }
  return value;
}

Status YamlReader::check_keys(const YAML::Node& map, const std::string& subject,
                              std::initializer_list<const char*> allowed, const std::string& what) const {
  for (const auto& entry : map) {
    std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "?";
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
      return error_at(entry.first, subject, "unknown key '" + key + "' in " + what);
    }
  }
  return ok_status();
}

}  // namespace airlock::config
