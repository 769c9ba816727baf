// Counting the tokens of the selected fields as a run passes them, for the
// summary's "tokens" (airlock run --count-tokens): one stage before the
// policy sees every decoded record as it came, one after it sees the clean
// records as they are written (with their redactions).
#pragma once

#include <atomic>
#include <cstdint>

#include "pipeline/pipeline.h"
#include "tokens/tokens.h"

namespace airlock::pipeline {

class TokenCountStage final : public Stage {
 public:
  enum class Place { kBeforePolicy, kAfterPolicy };
  TokenCountStage(const tokens::Tokenizer& tokenizer, Place place) : tokenizer_(tokenizer), place_(place) {}

  std::string_view name() const override {
    return place_ == Place::kBeforePolicy ? "tokens-before-policy" : "tokens-after-policy";
  }
  // Adds the tokens of each selected field (its replacement when a stage
  // before this one edited it); never changes or rejects a record.
  Status process(Record& record) const override;
  uint64_t total() const { return total_.load(std::memory_order_relaxed); }
  tokens::Encoding tokenizer_encoding() const { return tokenizer_.encoding(); }

 private:
  const tokens::Tokenizer& tokenizer_;
  Place place_;
  mutable std::atomic<uint64_t> total_{0};
};

// Fills summary.tokens_* from the two stages.
void add_token_totals(Summary& summary, const TokenCountStage& before, const TokenCountStage& after);

}  // namespace airlock::pipeline
