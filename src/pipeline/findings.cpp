// Findings: the detection stage, its JSON Lines and SARIF output, and the
// summary table.
#include "pipeline/findings.h"

#include <cstdio>
#include <map>

#include "text/text.h"

namespace airlock::pipeline {
namespace {

using record::append_json_string_lossless;

std::string format_score(double score) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%.2f", score);
  return buffer;
}

}  // namespace

FindingsStage::FindingsStage(const detect::Scanner& scanner, Format format)
    : scanner_(scanner), format_(format), per_rule_(new std::atomic<uint64_t>[scanner.rules().size()]) {
  for (size_t i = 0; i < scanner.rules().size(); ++i) per_rule_[i] = 0;
}

Status FindingsStage::process(Record& record) const {
  thread_local std::vector<detect::Finding> findings;
  bool any = false;
  for (const record::TextField& field : *record.fields) {
    findings.clear();
    Status scanned = scanner_.scan(field.text, findings);
    if (!scanned.ok()) {
      if (!text::Normalizer::is_limit_error(scanned.error())) return scanned;
      record.problems.push_back({record::Reason::kNormalizeLimit,
                                 "field " + std::string(field.pointer) + " grows too much under normalisation"});
      return ok_status();
    }
    for (const detect::Finding& finding : findings) {
      ++per_rule_[finding.rule];
      if (format_ == Format::kJsonl) {
        append_jsonl(record, field, finding);
      } else {
        append_sarif(record, field, finding);
      }
    }
    any = any || !findings.empty();
  }
  if (any) ++records_with_findings_;
  return ok_status();
}

void FindingsStage::append_jsonl(const Record& record, const record::TextField& field,
                                 const detect::Finding& finding) const {
  const detect::Rule& rule = scanner_.rules()[finding.rule];
  std::string& out = *record.log;
  out += "{\"source\":";
  append_json_string_lossless(out, *record.source);
  out += ",\"line\":" + std::to_string(record.line_number) + ",\"path\":";
  append_json_string_lossless(out, field.pointer);
  out += ",\"start\":" + std::to_string(finding.start) + ",\"end\":" + std::to_string(finding.end);
  out += ",\"byte_start\":" + std::to_string(finding.byte_start) + ",\"byte_end\":" + std::to_string(finding.byte_end);
  out += ",\"entity\":\"" + rule.entity + "\",\"rule\":";
  append_json_string_lossless(out, rule.id);
  out += ",\"score\":" + format_score(finding.score) + "}\n";
}

void FindingsStage::append_sarif(const Record& record, const record::TextField& field,
                                 const detect::Finding& finding) const {
  const detect::Rule& rule = scanner_.rules()[finding.rule];
  std::string& out = *record.log;
  out += "{\"ruleId\":";
  append_json_string_lossless(out, rule.id);
  out += ",\"ruleIndex\":" + std::to_string(finding.rule);
  out += ",\"level\":\"warning\",\"message\":{\"text\":";
  append_json_string_lossless(out, rule.entity + " at " +
                                       std::string(field.pointer.empty() ? "the line" : field.pointer) +
                                       ", characters " + std::to_string(finding.start) + "-" +
                                       std::to_string(finding.end) + " (score " + format_score(finding.score) + ")");
  out += "},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":";
  append_json_string_lossless(out, *record.source);
  out += "},\"region\":{\"startLine\":" + std::to_string(record.line_number) + "}}";
  if (!field.pointer.empty()) {
    out += ",\"logicalLocations\":[{\"fullyQualifiedName\":";
    append_json_string_lossless(out, field.pointer);
    out += ",\"kind\":\"member\"}]";
  }
  out += "}],\"properties\":{\"entity\":\"" + rule.entity + "\",\"path\":";
  append_json_string_lossless(out, field.pointer);
  out += ",\"start\":" + std::to_string(finding.start) + ",\"end\":" + std::to_string(finding.end);
  out += ",\"byte_start\":" + std::to_string(finding.byte_start) + ",\"byte_end\":" + std::to_string(finding.byte_end);
  out += ",\"score\":" + format_score(finding.score) + "}}\n";
}

std::vector<uint64_t> FindingsStage::findings_per_rule() const {
  std::vector<uint64_t> counts(scanner_.rules().size());
  for (size_t i = 0; i < counts.size(); ++i) counts[i] = per_rule_[i].load();
  return counts;
}

SarifSink::SarifSink(io::ByteSink& inner, const detect::Scanner& scanner, std::string_view version)
    : inner_(inner), scanner_(scanner), version_(version) {}

Status SarifSink::start() {
  started_ = true;
  std::string out =
      "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{\"tool\":"
      "{\"driver\":{\"name\":\"airlock\",\"version\":\"" +
      version_ + "\",\"rules\":[";
  const std::vector<detect::Rule>& rules = scanner_.rules();
  for (size_t i = 0; i < rules.size(); ++i) {
    if (i) out += ',';
    out += "{\"id\":";
    append_json_string_lossless(out, rules[i].id);
    out += ",\"name\":\"" + rules[i].entity + "\",\"shortDescription\":{\"text\":";
    append_json_string_lossless(out, rules[i].entity + " (rule pack " + rules[i].pack + ")");
    out += "},\"properties\":{\"entity\":\"" + rules[i].entity + "\",\"pack\":";
    append_json_string_lossless(out, rules[i].pack);
    out += "}}";
  }
  out += "]}},\"columnKind\":\"unicodeCodePoints\",\"results\":[\n";
  return inner_.write(out);
}

Status SarifSink::write(std::string_view lines) {
  if (!started_) {
    Status s = start();
    if (!s.ok()) return s;
  }
  pending_.append(lines);
  std::string out;
  size_t begin = 0;
  for (size_t newline = pending_.find('\n'); newline != std::string::npos; newline = pending_.find('\n', begin)) {
    if (!first_result_) out += ",\n";
    first_result_ = false;
    out.append(pending_, begin, newline - begin);
    begin = newline + 1;
  }
  pending_.erase(0, begin);
  return out.empty() ? ok_status() : inner_.write(out);
}

Status SarifSink::finish() {
  if (!started_) {
    Status s = start();
    if (!s.ok()) return s;
  }
  Status s = inner_.write("\n]}]}\n");
  return s.ok() ? inner_.finish() : s;
}

std::string findings_table(const detect::Scanner& scanner, const FindingsStage& stage) {
  std::vector<uint64_t> per_rule = stage.findings_per_rule();
  std::map<std::string, uint64_t> per_entity;
  std::vector<std::pair<uint64_t, std::string>> top_rules;
  uint64_t total = 0;
  for (size_t i = 0; i < per_rule.size(); ++i) {
    if (!per_rule[i]) continue;
    per_entity[scanner.rules()[i].entity] += per_rule[i];
    top_rules.emplace_back(per_rule[i], scanner.rules()[i].id);
    total += per_rule[i];
  }
  std::string out =
      "findings: " + std::to_string(total) + " in " + std::to_string(stage.records_with_findings()) + " records\n";
  if (per_entity.empty()) return out;
  char line[160];
  std::snprintf(line, sizeof line, "  %-28s %10s\n", "entity", "findings");
  out += line;
  for (const auto& [entity, count] : per_entity) {
    std::snprintf(line, sizeof line, "  %-28s %10llu\n", entity.c_str(), static_cast<unsigned long long>(count));
    out += line;
  }
  std::sort(top_rules.begin(), top_rules.end(),
            [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  out += "  top rules:";
  for (size_t i = 0; i < top_rules.size() && i < 5; ++i) {
    out += (i ? ", " : " ") + top_rules[i].second + " " + std::to_string(top_rules[i].first);
  }
  return out + "\n";
}

}  // namespace airlock::pipeline
