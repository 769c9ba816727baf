// Token counts of the selected fields before and after the policy.
#include "pipeline/token_stage.h"

namespace airlock::pipeline {

Status TokenCountStage::process(Record& record) const {
  uint64_t count = 0;
  for (const record::TextField& field : *record.fields) {
    count += tokenizer_.count(field.replaced ? std::string_view(field.replacement) : field.text);
  }
  // One atomic add per record: workers share the total.
  total_.fetch_add(count, std::memory_order_relaxed);
  return ok_status();
}

void add_token_totals(Summary& summary, const TokenCountStage& before, const TokenCountStage& after) {
  summary.tokens_encoding = std::string(tokens::encoding_name(before.tokenizer_encoding()));
  summary.tokens_before_policy = before.total();
  summary.tokens_after_policy = after.total();
}

}  // namespace airlock::pipeline
