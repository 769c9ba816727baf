#include "cli/model_loading.h"

#include "tokens/tokens.h"

namespace airlock::cli {

Result<LoadedModel> load_model(const std::string& name, const std::string& models_file) {
  std::string path = models_file.empty() ? std::string(AIRLOCK_POLICIES_DIR) + "/models.yaml" : models_file;
  Result<record::ModelCatalog> catalog = record::ModelCatalog::load(path);
  if (!catalog.ok()) return catalog.error();
  Result<record::ModelLimits> model = catalog->find(name.empty() ? catalog->default_model() : name);
  if (!model.ok()) return model.error();
  Result<const tokens::Tokenizer*> tokenizer = tokens::Tokenizer::get(model->encoding);
  if (!tokenizer.ok()) return tokenizer.error();
  return LoadedModel{std::move(model).value(), catalog->taken()};
}

}  // namespace airlock::cli
