// Counting the tokens of the selected fields as a run passes them, for the
// summary's "tokens" (airlock run --count-tokens MODEL): one stage before the
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

 private:
  const tokens::Tokenizer& tokenizer_;
  Place place_;
  mutable std::atomic<uint64_t> total_{0};
};

// summary.json's "tokens" object (docs/formats.md), and the report's line.
std::string token_summary_json(const TokenSummary& tokens);
std::string token_summary_text(const TokenSummary& tokens);

}  // namespace airlock::pipeline
