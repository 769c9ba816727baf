// The fine-tuning check's report: text for people, JSON for tools
// (docs/formats.md, "airlock validate --json").
#include <algorithm>
#include <cstdio>

#include "record/finetune.h"
#include "record/record.h"

namespace airlock::record {
namespace {

struct Distribution {
  uint64_t min = 0, p50 = 0, p95 = 0, max = 0;
};

// Nearest-rank percentiles of the examples' token counts.
Distribution distribution(std::vector<uint64_t> values) {
  Distribution d;
  if (values.empty()) return d;
  std::sort(values.begin(), values.end());
  auto rank = [&](double p) {
    size_t index = static_cast<size_t>(p * static_cast<double>(values.size()) + 0.999999);
    return values[std::clamp<size_t>(index, 1, values.size()) - 1];
  };
  d.min = values.front();
  d.p50 = rank(0.50);
  d.p95 = rank(0.95);
  d.max = values.back();
  return d;
}

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

using Issues = std::map<std::string, FineTuneIssue>;

void issues_text(std::string& out, const char* what, const Issues& issues, uint64_t minimum) {
  for (const auto& [kind, issue] : issues) {
    out += std::string("  ") + what + " " + kind + ": " + std::to_string(issue.count);
    if (!issue.first_lines.empty()) {
      out += " (lines";
      for (uint64_t line : issue.first_lines) out += " " + std::to_string(line);
      out += issue.count > issue.first_lines.size() ? " …)" : ")";
    }
    if (kind == "too_few_examples") out += " (at least " + std::to_string(minimum) + " are needed)";
    out += "\n";
  }
}

void issues_json(std::string& out, const char* name, const Issues& issues) {
  out += std::string(",\"") + name + "\":{";
  bool first = true;
  for (const auto& [kind, issue] : issues) {
    out += (first ? "\"" : ",\"") + kind + "\":{\"count\":" + std::to_string(issue.count) + ",\"first_lines\":[";
    for (size_t i = 0; i < issue.first_lines.size(); ++i) out += (i ? "," : "") + std::to_string(issue.first_lines[i]);
    out += "]}";
    first = false;
  }
  out += "}";
}

std::string json_string(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

}  // namespace

double FineTuneChecker::estimated_cost_usd() const {
  if (!options_.model || options_.format == FineTuneFormat::kBatch) return 0;
  auto own = tokens_.find(options_.model->encoding);
  if (own == tokens_.end()) return 0;
  return static_cast<double>(own->second.trained * options_.epochs) * options_.model->training_usd_per_million / 1e6;
}

std::string FineTuneChecker::tokens_text() const {
  if (!options_.model) return "";
  const ModelLimits& model = *options_.model;
  auto own = tokens_.find(model.encoding);
  TokenTotals none;
  const TokenTotals& totals = own == tokens_.end() ? none : own->second;
  Distribution d = distribution(totals.per_example);
  std::string out = "  tokens (" + std::string(tokens::encoding_name(model.encoding)) +
                    "): " + std::to_string(totals.total) + " in all, " + std::to_string(totals.content) +
                    " of message content; per example min " + std::to_string(d.min) + ", p50 " + std::to_string(d.p50) +
                    ", p95 " + std::to_string(d.p95) + ", max " + std::to_string(d.max) + "\n";
  if (options_.format == FineTuneFormat::kBatch) return out;
  out += "  trained tokens: " + std::to_string(totals.trained) + " (assistant messages with weight 1) x " +
         std::to_string(options_.epochs) + " epochs = " + std::to_string(totals.trained * options_.epochs) + "\n";
  // Cents for real jobs; a small file's fraction of a cent is still shown.
  double cost = estimated_cost_usd();
  out += "  estimated cost: $" + fixed(cost, cost >= 0.01 || cost == 0 ? 2 : 6) + " at $" + fixed(model.training_usd_per_million, 2) +
         " per 1M training tokens (prices as of " + options_.prices_taken + ")\n";
  return out;
}

std::string FineTuneChecker::report_text() const {
  std::string out = std::to_string(examples_) + " examples (" + std::string(format_name(options_.format));
  if (options_.model) out += ", " + options_.model->name;
  out += std::string("): ") + (accepted() ? "the file would be accepted" : "the file would be REJECTED") + "\n";
  out += tokens_text();
  issues_text(out, "error", errors_, minimum_examples());
  issues_text(out, "warning", warnings_, minimum_examples());
  return out;
}

std::string FineTuneChecker::tokens_json() const {
  if (!options_.model) return "";
  const ModelLimits& model = *options_.model;
  std::string out = ",\"model\":" + json_string(model.name) + ",\"encoding\":\"" +
                    std::string(tokens::encoding_name(model.encoding)) + "\",\"tokens\":{";
  bool first = true;
  for (const auto& [encoding, totals] : tokens_) {
    Distribution d = distribution(totals.per_example);
    out += std::string(first ? "" : ",") + "\"" + std::string(tokens::encoding_name(encoding)) +
           "\":{\"content_tokens\":" + std::to_string(totals.content) +
           ",\"total_tokens\":" + std::to_string(totals.total) +
           ",\"trained_tokens\":" + std::to_string(totals.trained) +
           ",\"per_example\":{\"min\":" + std::to_string(d.min) + ",\"p50\":" + std::to_string(d.p50) +
           ",\"p95\":" + std::to_string(d.p95) + ",\"max\":" + std::to_string(d.max) + "}}";
    first = false;
  }
  out += "}";
  if (options_.format == FineTuneFormat::kBatch) return out + ",\"estimated_cost_usd\":null";
  return out + ",\"epochs\":" + std::to_string(options_.epochs) +
         ",\"training_usd_per_million_tokens\":" + fixed(model.training_usd_per_million, 4) +
         ",\"prices_taken\":" + json_string(options_.prices_taken) +
         ",\"estimated_cost_usd\":" + fixed(estimated_cost_usd(), 6);
}

std::string FineTuneChecker::report_json() const {
  std::string out = "{\"examples\":" + std::to_string(examples_) + ",\"accepted\":" + (accepted() ? "true" : "false") +
                    ",\"format\":\"" + std::string(format_name(options_.format)) + "\"";
  out += tokens_json();
  issues_json(out, "errors", errors_);
  issues_json(out, "warnings", warnings_);
  return out + "}\n";
}

}  // namespace airlock::record
