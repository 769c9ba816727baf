// The fine-tuning model a command counts tokens and prices for, from the
// models file (policies/models.yaml).
#pragma once

#include <string>

#include "base/status.h"
#include "record/finetune.h"

namespace airlock::cli {

struct LoadedModel {
  record::ModelLimits limits;
  std::string prices_taken;  // the models file's `taken`
};

// `name` (the file's default when empty) from `models_file` (the shipped
// policies/models.yaml when empty), with its encoding's tokenizer loaded so
// that a damaged build fails before any input is read.
Result<LoadedModel> load_model(const std::string& name, const std::string& models_file);

}  // namespace airlock::cli
