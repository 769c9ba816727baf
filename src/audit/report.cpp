// The run's reports: report.json, report.html and the terminal detail.
// Figures only: entity names, rule ids, counts; never a value.
#include <algorithm>
#include <cstdio>
#include <vector>

#include "audit/audit.h"
#include "audit/json_out.h"

namespace airlock::audit {

using internal::array_of;
using internal::count_map;
using internal::number;
using internal::quote;

namespace {

constexpr const char* kActionOrder[] = {"redact", "mask", "pseudonymize", "surrogate", "hash", "generalize", "drop", "flag",
                                        "reject"};

double rate(uint64_t part, uint64_t whole) { return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0; }

double megabytes_per_second(const RunFacts& f) {
  return f.seconds > 0 ? static_cast<double>(f.counts.bytes) / 1e6 / f.seconds : 0;
}

std::string html_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string with_commas(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// A horizontal bar chart as inline SVG: one labelled bar per row.
std::string bar_chart(const std::string& title, const std::vector<std::pair<std::string, uint64_t>>& rows,
                      const char* colour) {
  std::string out = "<section><h2>" + html_escape(title) + "</h2>";
  if (rows.empty()) return out + "<p class=\"none\">none</p></section>";
  uint64_t top = 1;
  for (const auto& row : rows) top = std::max(top, row.second);
  const int bar_width = 380, row_height = 26, label_width = 330;
  int height = static_cast<int>(rows.size()) * row_height + 6;
  out += "<svg role=\"img\" aria-label=\"" + html_escape(title) + "\" width=\"" +
         std::to_string(label_width + bar_width + 110) + "\" height=\"" + std::to_string(height) + "\">";
  int y = 4;
  for (const auto& [label, n] : rows) {
    int width = std::max(1, static_cast<int>(bar_width * rate(n, top)));
    out += "<text x=\"" + std::to_string(label_width - 8) + "\" y=\"" + std::to_string(y + 16) +
           "\" text-anchor=\"end\">" + html_escape(label) + "</text>";
    out += "<rect x=\"" + std::to_string(label_width) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
           std::to_string(width) + "\" height=\"20\" fill=\"" + colour + "\"/>";
    out += "<text x=\"" + std::to_string(label_width + width + 6) + "\" y=\"" + std::to_string(y + 16) + "\">" +
           with_commas(n) + "</text>";
    y += row_height;
  }
  return out + "</svg></section>";
}

template <typename Map>
std::vector<std::pair<std::string, uint64_t>> rows_of(const Map& counts) {
  std::vector<std::pair<std::string, uint64_t>> rows(counts.begin(), counts.end());
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return rows;
}

std::map<std::string, uint64_t> action_totals(const RunFacts& f) {
  std::map<std::string, uint64_t> totals;
  for (const auto& [entity, e] : f.entities)
    for (const auto& [action, n] : e.actions) totals[action] += n;
  return totals;
}

std::string entity_table_html(const RunFacts& f) {
  std::string out = "<section><h2>Findings and actions per entity</h2>";
  if (f.entities.empty()) return out + "<p class=\"none\">no findings</p></section>";
  out += "<table><thead><tr><th>entity</th><th>found</th>";
  for (const char* action : kActionOrder) out += std::string("<th>") + action + "</th>";
  out += "</tr></thead><tbody>";
  for (const auto& [entity, e] : f.entities) {
    out += "<tr><td>" + html_escape(entity) + "</td><td>" + with_commas(e.found) + "</td>";
    for (const char* action : kActionOrder) {
      auto it = e.actions.find(action);
      out += "<td>" + (it == e.actions.end() ? std::string("") : with_commas(it->second)) + "</td>";
    }
    out += "</tr>";
  }
  return out + "</tbody></table></section>";
}

const char kStyle[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:980px;color:#1d2330}"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #d8dce3}"
    ".verdict{display:inline-block;padding:.35em .9em;border-radius:6px;font-weight:700;color:#fff}"
    ".pass{background:#1f8a4c}.fail{background:#c0392b}.meta{color:#566}"
    ".tiles{display:flex;flex-wrap:wrap;gap:12px;margin:1em 0}"
    ".tile{border:1px solid #d8dce3;border-radius:8px;padding:.6em 1em;min-width:130px}"
    ".tile b{display:block;font-size:1.5em}table{border-collapse:collapse;font-size:.92em}"
    "td,th{border-bottom:1px solid #e3e6ea;padding:.3em .7em;text-align:right}td:first-child,th:first-child{text-align:left}"
    "svg text{font-size:13px;fill:#1d2330}.none{color:#889}code{font-size:.9em}";

std::string tile(const std::string& label, const std::string& value) {
  return "<div class=\"tile\"><b>" + value + "</b>" + html_escape(label) + "</div>";
}

double usd_per_epoch(const TokenFacts& t, uint64_t tokens) {
  return static_cast<double>(tokens) / 1e6 * t.usd_per_million;
}

std::string tokens_json(const RunFacts& f) {
  if (!f.tokens) return "null";
  const TokenFacts& t = *f.tokens;
  return "{\"model\":" + quote(t.model) + ",\"encoding\":" + quote(t.encoding) +
         ",\"before_policy\":" + std::to_string(t.before_policy) + ",\"after_policy\":" +
         std::to_string(t.after_policy) + ",\"usd_per_epoch_before_policy\":" +
         number(usd_per_epoch(t, t.before_policy), "%.6f") + ",\"usd_per_epoch_after_policy\":" +
         number(usd_per_epoch(t, t.after_policy), "%.6f") + ",\"prices_taken\":" + quote(t.prices_taken) + "}";
}

std::string tokens_html(const RunFacts& f) {
  if (!f.tokens) return "";
  const TokenFacts& t = *f.tokens;
  return "<section><h2>Tokens</h2><table><tbody><tr><td>model</td><td>" + html_escape(t.model) + " (" +
         html_escape(t.encoding) + ")</td></tr><tr><td>before the policy</td><td>" + with_commas(t.before_policy) +
         " tokens, $" + number(usd_per_epoch(t, t.before_policy), "%.2f") +
         " an epoch</td></tr><tr><td>in the clean output</td><td>" + with_commas(t.after_policy) + " tokens, $" +
         number(usd_per_epoch(t, t.after_policy), "%.2f") + " an epoch</td></tr><tr><td>prices taken</td><td>" +
         html_escape(t.prices_taken) + "</td></tr></tbody></table></section>";
}

}  // namespace

std::string report_json(const RunFacts& f) {
  std::string entities = "{";
  for (const auto& [entity, e] : f.entities) {
    if (entities.size() > 1) entities += ',';
    entities += quote(entity) + ":{\"found\":" + std::to_string(e.found) + ",\"actions\":" + count_map(e.actions) + "}";
  }
  entities += "}";
  auto file = [](const FileFacts& file) {
    return "{\"path\":" + quote(file.path) + ",\"size\":" + std::to_string(file.size) + ",\"sha256\":\"" + file.sha256 +
           "\"}";
  };
  const Counts& c = f.counts;
  return "{\"format\":\"airlock-report-v1\",\"run_id\":" + quote(f.run_id) + ",\"started\":" + quote(f.started) +
         ",\"verdict\":" + quote(f.verdict) + ",\"verdict_reasons\":" + array_of(f.verdict_reasons, quote) +
         ",\"signed\":" + (f.signer.empty() ? "false" : "true") + ",\"signer\":" +
         (f.signer.empty() ? std::string("null") : quote(f.signer)) + ",\"policy\":{\"name\":" + quote(f.policy_name) +
         ",\"version\":" + quote(f.policy_version) + ",\"sha256\":\"" + f.policy_sha256 +
         "\"},\"records\":{\"in\":" + std::to_string(c.records) + ",\"clean\":" + std::to_string(c.clean) +
         ",\"changed\":" + std::to_string(c.changed) + ",\"quarantined\":" + std::to_string(c.quarantined) +
         ",\"empty_lines\":" + std::to_string(c.empty_lines) + ",\"quarantine_reasons\":" + count_map(c.reasons) +
         "},\"entities\":" + entities + ",\"actions\":" + count_map(action_totals(f)) + ",\"roles\":" +
         count_map(f.roles) + ",\"fields\":" + count_map(f.fields) + ",\"top_rules\":" +
         array_of(f.top_rules, [](const RuleFacts& r) {
           return "{\"rule\":" + quote(r.rule) + ",\"entity\":" + quote(r.entity) + ",\"found\":" +
                  std::to_string(r.found) + "}";
         }) +
         ",\"verification\":{\"rescanned\":" + std::to_string(f.verification_rescanned) + ",\"findings\":" +
         std::to_string(f.verification_findings) + "},\"tokens\":" + tokens_json(f) +
         ",\"inputs\":" + array_of(f.inputs, file) +
         ",\"bytes\":" + std::to_string(c.bytes) + ",\"seconds\":" + number(f.seconds) +
         ",\"mb_per_second\":" + number(megabytes_per_second(f), "%.1f") + ",\"threads\":" +
         std::to_string(f.threads) + "}\n";
}

std::string report_html(const RunFacts& f) {
  const Counts& c = f.counts;
  bool pass = f.verdict == "pass";
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>airlock run report</title>"
      "<meta name=\"viewport\" content=\"width=device-width\"><style>";
  out += kStyle;
  out += "</style></head><body><h1>airlock run report</h1><p class=\"meta\">Run <code>" + html_escape(f.run_id) +
         "</code>, started " + html_escape(f.started) + ", policy <b>" + html_escape(f.policy_name) + "</b> " +
         html_escape(f.policy_version) + "</p>";
  out += "<p><span id=\"verdict\" class=\"verdict " + std::string(pass ? "pass" : "fail") + "\">" +
         (pass ? "PASS" : "FAIL") + "</span> ";
  out += f.signer.empty() ? "<b>unsigned</b>: this run's manifest carries no signature"
                          : "manifest signed by <code>" + html_escape(f.signer) + "</code>";
  out += "</p>";
  if (!f.verdict_reasons.empty()) {
    out += "<ul id=\"verdict-reasons\">";
    for (const std::string& reason : f.verdict_reasons) out += "<li>" + html_escape(reason) + "</li>";
    out += "</ul>";
  }
  out += "<div class=\"tiles\">" + tile("records in", with_commas(c.records)) + tile("clean", with_commas(c.clean)) +
         tile("changed by the policy", with_commas(c.changed)) + tile("quarantined", with_commas(c.quarantined)) +
         tile("quarantine rate", number(rate(c.quarantined, c.records) * 100, "%.1f%%")) +
         tile("left in the output", with_commas(f.verification_findings)) + "</div>";
  std::vector<std::pair<std::string, uint64_t>> entity_rows;
  for (const auto& [entity, e] : f.entities) entity_rows.emplace_back(entity, e.found);
  std::stable_sort(entity_rows.begin(), entity_rows.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  out += bar_chart("Findings per entity", entity_rows, "#3b6fd4");
  out += bar_chart("Actions taken", rows_of(action_totals(f)), "#7a4fc4");
  out += bar_chart("Findings per message role", rows_of(f.roles), "#2c9c8f");
  out += bar_chart("Findings per field", rows_of(f.fields), "#2c9c8f");
  out += bar_chart("Quarantine reasons", rows_of(c.reasons), "#c0392b");
  out += entity_table_html(f);
  out += tokens_html(f);
  out += "<section><h2>Run</h2><table><tbody>";
  auto row = [&](const std::string& k, const std::string& v) { out += "<tr><td>" + k + "</td><td>" + v + "</td></tr>"; };
  row("inputs", std::to_string(f.inputs.size()));
  for (const FileFacts& input : f.inputs)
    row(html_escape(input.path), with_commas(input.size) + " bytes, SHA-256 <code>" + input.sha256.substr(0, 16) + "…</code>");
  row("data", number(static_cast<double>(c.bytes) / 1e6, "%.1f") + " MB in " + number(f.seconds, "%.2f") + " s (" +
                  number(megabytes_per_second(f), "%.1f") + " MB/s, " + std::to_string(f.threads) + " threads)");
  row("verification", with_commas(f.verification_rescanned) + " changed records scanned again, " +
                          with_commas(f.verification_findings) + " findings left");
  row("policy digest", "<code>" + f.policy_sha256.substr(0, 16) + "…</code>");
  out += "</tbody></table></section>";
  out += "<p class=\"meta\">Figures only: this report never contains a matched value. Check the run with "
         "<code>airlock audit verify</code>.</p></body></html>\n";
  return out;
}

std::string report_text(const RunFacts& f) {
  std::string out;
  char line[200];
  if (!f.entities.empty()) {
    std::snprintf(line, sizeof line, "  %-24s %9s", "entity", "found");
    out += line;
    for (const char* action : kActionOrder) {
      std::snprintf(line, sizeof line, " %9.9s", action);
      out += line;
    }
    out += "\n";
    for (const auto& [entity, e] : f.entities) {
      std::snprintf(line, sizeof line, "  %-24s %9llu", entity.c_str(), static_cast<unsigned long long>(e.found));
      out += line;
      for (const char* action : kActionOrder) {
        auto it = e.actions.find(action);
        std::snprintf(line, sizeof line, " %9llu",
                      static_cast<unsigned long long>(it == e.actions.end() ? 0 : it->second));
        out += line;
      }
      out += "\n";
    }
  }
  if (!f.top_rules.empty()) {
    out += "  top rules   ";
    for (size_t i = 0; i < f.top_rules.size() && i < 5; ++i) {
      out += (i ? ", " : " ") + f.top_rules[i].rule + " " + with_commas(f.top_rules[i].found);
    }
    out += "\n";
  }
  if (f.verification_rescanned) {
    out += "  verified    " + with_commas(f.verification_rescanned) + " changed records scanned again, " +
           with_commas(f.verification_findings) + " findings left\n";
  }
  return out;
}

}  // namespace airlock::audit
