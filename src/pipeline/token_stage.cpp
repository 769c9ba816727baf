// Token counts of the selected fields before and after the policy.
#include "pipeline/token_stage.h"

#include <cstdio>

namespace airlock::pipeline {

Status TokenCountStage::process(Record& record) const {
  uint64_t count = 0;
  for (const record::TextField& field : *record.fields) {
    if (field.dropped) continue;  // its message leaves the record
    count += tokenizer_.count(field.replaced ? std::string_view(field.replacement) : field.text);
  }
  // One atomic add per record: workers share the total.
  total_.fetch_add(count, std::memory_order_relaxed);
  return ok_status();
}

namespace {

// What one epoch of training on `count` tokens costs at the model's price.
double epoch_cost_usd(const TokenSummary& tokens, uint64_t count) {
  return static_cast<double>(count) * tokens.training_usd_per_million / 1e6;
}

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string json_string(std::string_view text) {
  std::string out;
  record::append_json_string(out, text);
  return out;
}

}  // namespace

std::string token_summary_json(const TokenSummary& tokens) {
  return "{\"model\":" + json_string(tokens.model) + ",\"encoding\":\"" + tokens.encoding +
         "\",\"before_policy\":" + std::to_string(tokens.before_policy) +
         ",\"after_policy\":" + std::to_string(tokens.after_policy) +
         ",\"training_usd_per_million_tokens\":" + fixed(tokens.training_usd_per_million, 4) +
         ",\"prices_taken\":" + json_string(tokens.prices_taken) +
         ",\"usd_per_epoch_before_policy\":" + fixed(epoch_cost_usd(tokens, tokens.before_policy), 6) +
         ",\"usd_per_epoch_after_policy\":" + fixed(epoch_cost_usd(tokens, tokens.after_policy), 6) + "}";
}

std::string token_summary_text(const TokenSummary& tokens) {
  return std::to_string(tokens.before_policy) + " in, " + std::to_string(tokens.after_policy) +
         " in the clean output (" + tokens.model + ", " + tokens.encoding + "); a training epoch on them: $" +
         fixed(epoch_cost_usd(tokens, tokens.before_policy), 2) + " before, $" +
         fixed(epoch_cost_usd(tokens, tokens.after_policy), 2) + " after (at $" +
         fixed(tokens.training_usd_per_million, 2) + " per 1M, prices as of " + tokens.prices_taken + ")";
}

}  // namespace airlock::pipeline
