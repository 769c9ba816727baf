// summary.json and the terminal report of a run.
#include <cstdio>

#include "pipeline/pipeline.h"
#include "pipeline/token_stage.h"

namespace airlock::pipeline {
namespace {

using record::append_json_string_lossless;

void append_counts(std::string& out, const Counts& c) {
  out += "\"lines\":" + std::to_string(c.lines);
  out += ",\"empty_lines\":" + std::to_string(c.empty_lines);
  out += ",\"records\":" + std::to_string(c.records);
  out += ",\"clean\":" + std::to_string(c.clean);
  out += ",\"changed\":" + std::to_string(c.changed);
  out += ",\"quarantined\":" + std::to_string(c.quarantined);
  out += ",\"bytes\":" + std::to_string(c.bytes);
  out += ",\"quarantine_reasons\":{";
  bool first = true;
  for (const auto& [code, n] : c.reasons) {
    if (!first) out += ',';
    first = false;
    out += '"' + code + "\":" + std::to_string(n);
  }
  out += "},\"reconciled\":";
  out += c.reconciles() ? "true" : "false";
}

void append_output(std::string& out, const OutputFile& file, uint64_t plaintext_bytes) {
  out += "{\"path\":";
  append_json_string_lossless(out, file.name);
  out += ",\"encrypted\":";
  out += file.encrypted ? "true" : "false";
  out += ",\"plaintext_bytes\":" + std::to_string(plaintext_bytes) + "}";
}

// 1234567 → "1,234,567"
std::string with_commas(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string format(const char* pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, value);
  return buffer;
}

}  // namespace

std::string summary_json(const Summary& summary, std::string_view version) {
  std::string out = "{\"airlock_version\":\"";
  out += version;
  out += "\",\"verdict\":\"" + summary.verdict + "\"";
  if (!summary.verdict_reason.empty()) {
    out += ",\"verdict_reason\":";
    append_json_string_lossless(out, summary.verdict_reason);
  }
  if (!summary.policy_name.empty()) {
    out += ",\"policy\":{\"name\":";
    append_json_string_lossless(out, summary.policy_name);
    out += ",\"version\":";
    append_json_string_lossless(out, summary.policy_version);
    out += ",\"sha256\":\"" + summary.policy_sha256 + "\"}";
  }
  if (!summary.pseudonym_key_source.empty()) {
    out += ",\"pseudonym_key\":{\"source\":";
    append_json_string_lossless(out, summary.pseudonym_key_source);
    out += ",\"fingerprint\":\"" + summary.pseudonym_key_fingerprint + "\"}";
  }
  if (summary.tokens) out += ",\"tokens\":" + token_summary_json(*summary.tokens);
  out += ",\"threads\":" + std::to_string(summary.threads);
  out += ",\"seconds\":" + format("%.3f", summary.seconds);
  out += ",\"inputs\":[";
  for (size_t i = 0; i < summary.inputs.size(); ++i) {
    const InputSummary& input = summary.inputs[i];
    if (i) out += ',';
    out += "{\"path\":";
    append_json_string_lossless(out, input.info.display_name);
    out += ",\"compression\":\"";
    out += io::compression_name(input.info.compression);
    out += "\",\"fields\":";
    append_json_string_lossless(out, input.fields);
    out += ",\"bom_stripped\":";
    out += input.bom_stripped ? "true," : "false,";
    append_counts(out, input.counts);
    out += '}';
  }
  out += "],\"totals\":{";
  append_counts(out, summary.totals);
  out += "},\"stages\":[";
  for (size_t i = 0; i < summary.stages.size(); ++i) {
    if (i) out += ',';
    out += "{\"name\":";
    append_json_string_lossless(out, summary.stages[i].name);
    out += ",\"changed\":" + std::to_string(summary.stages[i].changed);
    out += ",\"quarantined\":" + std::to_string(summary.stages[i].quarantined) + "}";
  }
  out += "],\"verification\":{\"rescanned\":" + std::to_string(summary.verification_rescanned) +
         ",\"findings\":" + std::to_string(summary.verification_findings) + "}";
  out += ",\"outputs\":{\"clean\":";
  append_output(out, summary.clean_file, summary.clean_bytes);
  out += ",\"quarantine\":";
  append_output(out, summary.quarantine_file, summary.quarantine_bytes);
  out += "}}\n";
  return out;
}

std::string summary_text(const Summary& summary, const std::string& out_dir) {
  const Counts& t = summary.totals;
  double mb = static_cast<double>(t.bytes) / 1e6;
  std::string out = "airlock run: " + with_commas(t.records) + " records from " +
                    std::to_string(summary.inputs.size()) + (summary.inputs.size() == 1 ? " input" : " inputs") + ", " +
                    format("%.1f", mb) + " MB in " + format("%.2f", summary.seconds) + " s";
  if (summary.seconds > 0) out += " (" + format("%.1f", mb / summary.seconds) + " MB/s)";
  out += ", " + std::to_string(summary.threads) + (summary.threads == 1 ? " thread\n" : " threads\n");
  out += "  clean        " + with_commas(t.clean) + " (" + with_commas(t.changed) + " changed)\n";
  out += "  quarantined  " + with_commas(t.quarantined);
  if (!t.reasons.empty()) {
    out += ":";
    bool first = true;
    for (const auto& [code, n] : t.reasons) {
      out += first ? " " : ", ";
      first = false;
      out += code + " " + with_commas(n);
    }
  }
  out += "\n";
  if (summary.tokens) out += "  tokens       " + token_summary_text(*summary.tokens) + "\n";
  if (t.empty_lines) out += "  empty lines  " + with_commas(t.empty_lines) + " (skipped)\n";
  for (const InputSummary& input : summary.inputs) {
    out += "  " + input.info.display_name + ": " + with_commas(input.counts.records) + " records, fields " +
           input.fields + (input.bom_stripped ? ", byte-order mark removed" : "") + "\n";
  }
  auto describe = [&](const OutputFile& file) {
    return out_dir + "/" + file.name + (file.encrypted ? " (encrypted)" : " (plaintext)");
  };
  if (!summary.policy_name.empty()) out += "  policy       " + summary.policy_name + " " + summary.policy_version + "\n";
  if (!summary.pseudonym_key_source.empty()) {
    out += "  pseudonyms   key " + summary.pseudonym_key_fingerprint + " (" + summary.pseudonym_key_source + ")\n";
  }
  out += "  verdict      " + summary.verdict + (summary.verdict_reason.empty() ? "" : ": " + summary.verdict_reason) + "\n";
  out += "  wrote " + describe(summary.clean_file) + ", " + describe(summary.quarantine_file) + "\n";
  out += "  record of the run: " + out_dir + "/report.html, audit.jsonl, manifest.json\n";
  return out;
}

}  // namespace airlock::pipeline
