// policies/models.yaml: the fine-tuning models' encodings, prices and limits.
#include "config/yaml_reader.h"
#include "record/finetune.h"

namespace airlock::record {
namespace {

class ModelsReader : public config::YamlReader {
 public:
  explicit ModelsReader(std::string file) : YamlReader(std::move(file), "model ") {}

  Result<ModelLimits> model(const std::string& name, const YAML::Node& node) const {
    if (!node.IsMap()) return error_at(node, name, "must be a map");
    Status keys = check_keys(
        node, name, {"aliases", "encoding", "training_usd_per_million_tokens", "context_tokens", "minimum_examples"},
        "a model");
    if (!keys.ok()) return keys.error();
    ModelLimits limits;
    limits.name = name;
    Result<std::string> encoding = scalar(node["encoding"], name, "encoding");
    if (!encoding.ok()) return encoding.error();
    Result<tokens::Encoding> known = tokens::encoding_from_name(encoding.value());
    if (!known.ok()) return error_at(node["encoding"], name, known.error().message);
    limits.encoding = known.value();
    Result<double> price =
        number(node["training_usd_per_million_tokens"], name, "training_usd_per_million_tokens", 0, 1e6);
    Result<double> context = number(node["context_tokens"], name, "context_tokens", 1, 1e9);
    Result<double> minimum = number(node["minimum_examples"], name, "minimum_examples", 0, 1e9);
    if (!price.ok()) return price.error();
    if (!context.ok()) return context.error();
    if (!minimum.ok()) return minimum.error();
    limits.training_usd_per_million = price.value();
    limits.context_tokens = static_cast<uint64_t>(context.value());
    limits.minimum_examples = static_cast<uint64_t>(minimum.value());
    return limits;
  }
};

}  // namespace

Result<ModelCatalog> ModelCatalog::load(const std::string& path) {
  Result<YAML::Node> root = config::load_yaml_file(path);
  if (!root.ok()) return root.error();
  ModelsReader reader(path);
  const YAML::Node& doc = root.value();
  if (!doc.IsMap()) return reader.error_at(doc, "", "must be a map with 'taken', 'default' and 'models'");
  Status keys = reader.check_keys(doc, "", {"taken", "default", "models"}, "the models file");
  if (!keys.ok()) return keys.error();
  ModelCatalog catalog;
  catalog.file_ = path;
  Result<std::string> taken = reader.scalar(doc["taken"], "", "taken");
  Result<std::string> fallback = reader.scalar(doc["default"], "", "default");
  if (!taken.ok()) return taken.error();
  if (!fallback.ok()) return fallback.error();
  catalog.taken_ = taken.value();
  catalog.default_ = fallback.value();
  const YAML::Node& models = doc["models"];
  if (!models.IsMap() || models.size() == 0) return reader.error_at(models, "", "'models' must be a non-empty map");
  for (const auto& entry : models) {
    std::string name = entry.first.Scalar();
    Result<ModelLimits> limits = reader.model(name, entry.second);
    if (!limits.ok()) return limits.error();
    std::vector<std::string> names = {name};
    if (entry.second["aliases"]) {
      Result<std::vector<std::string>> aliases = reader.strings(entry.second["aliases"], name, "aliases");
      if (!aliases.ok()) return aliases.error();
      names.insert(names.end(), aliases->begin(), aliases->end());
    }
    for (const std::string& known : names) {
      if (!catalog.names_.emplace(known, catalog.models_.size()).second) {
        return reader.error_at(entry.first, name, "the name '" + known + "' is used twice");
      }
    }
    catalog.models_.push_back(std::move(limits).value());
  }
  if (!catalog.find(catalog.default_).ok()) {
    return reader.error_at(doc["default"], "", "the default model '" + catalog.default_ + "' is not in 'models'");
  }
  return catalog;
}

Result<ModelLimits> ModelCatalog::find(std::string_view name) const {
  auto found = names_.find(name);
  if (found != names_.end()) return models_[found->second];
  std::string known;
  for (const auto& [known_name, index] : names_) known += (known.empty() ? "" : ", ") + known_name;
  return usage_error(file_ + ": unknown model '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace airlock::record
