// The audit log's entries and chain, and the manifest.
#include <algorithm>

#include "audit/audit.h"
#include "audit/json_out.h"

namespace airlock::audit {

using internal::array_of;
using internal::count_map;
using internal::counts_json;
using internal::number;
using internal::quote;

void Counts::add(const Counts& o) {
  lines += o.lines;
  empty_lines += o.empty_lines;
  records += o.records;
  clean += o.clean;
  changed += o.changed;
  quarantined += o.quarantined;
  bytes += o.bytes;
  for (const auto& [code, n] : o.reasons) reasons[code] += n;
}

Status append_record_entry(const RecordEntry& entry, const crypto::KeyedDigester& digester, std::string& out) {
  out += "{\"type\":\"record\",\"input\":" + std::to_string(entry.input) + ",\"line\":" + std::to_string(entry.line) +
         ",\"digest\":\"";
  if (Status s = digester.digest_hex(entry.bytes, out); !s.ok()) return s;
  out += "\",\"action\":\"";
  out += entry.action;
  out += '"';
  if (entry.noted && !entry.noted->empty()) {
    // Entities and actions with their counts, then the distinct rules,
    // sorted: the entry must not depend on the order findings were made in.
    // Names only, counted in place: this runs for every record with a finding.
    thread_local std::vector<std::string_view> names;
    auto append_counted = [&](const char* key, std::string_view Noted::*name) {
      names.clear();
      for (const Noted& noted : *entry.noted) names.push_back(noted.*name);
      std::sort(names.begin(), names.end());
      out += key;
      for (size_t i = 0; i < names.size();) {
        size_t j = i;
        while (j < names.size() && names[j] == names[i]) ++j;
        out += i ? ',' : '{';
        record::append_json_string_lossless(out, names[i]);
        out += ':' + std::to_string(j - i);
        i = j;
      }
      out += '}';
    };
    append_counted(",\"entities\":", &Noted::entity);
    append_counted(",\"actions\":", &Noted::action);
    names.clear();
    for (const Noted& noted : *entry.noted) names.push_back(noted.rule);
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    out += ",\"rules\":" + array_of(names, [](std::string_view rule) { return quote(rule); });
  }
  if (entry.problems && !entry.problems->empty()) {
    // Reason codes only: a problem's detail may quote a record's keys.
    out += ",\"reasons\":" + array_of(*entry.problems, [](const record::Problem& p) {
             return quote(record::reason_code(p.reason));
           });
  }
  if (entry.leftover) out += ",\"leftover_findings\":" + std::to_string(entry.leftover);
  out += "}\n";
  return ok_status();
}

Status ChainWriter::append(std::string_view entry) {
  if (entry.empty() || entry.front() != '{') return internal_error("audit entry is not a JSON object");
  line_.assign("{\"seq\":");
  line_ += std::to_string(entries_);
  line_ += ",\"prev\":\"";
  line_ += head_;
  line_ += entry.size() > 2 ? "\"," : "\"";
  line_.append(entry.substr(1));
  io::Sha256 digest;
  digest.update(line_);
  head_ = digest.hex_digest();
  ++entries_;
  line_ += '\n';
  return out_.write(line_);
}

std::string internal::counts_json(const Counts& c) {
  return "{\"lines\":" + std::to_string(c.lines) + ",\"empty_lines\":" + std::to_string(c.empty_lines) +
         ",\"records\":" + std::to_string(c.records) + ",\"clean\":" + std::to_string(c.clean) +
         ",\"changed\":" + std::to_string(c.changed) + ",\"quarantined\":" + std::to_string(c.quarantined) +
         ",\"bytes\":" + std::to_string(c.bytes) + ",\"quarantine_reasons\":" + count_map(c.reasons) +
         ",\"reconciled\":" + (c.reconciles() ? "true" : "false") + "}";
}

namespace {

std::string file_json(const FileFacts& f) {
  std::string out = "{\"path\":" + quote(f.path) + ",\"size\":" + std::to_string(f.size) + ",\"sha256\":\"" + f.sha256 +
                    "\"";
  if (f.encrypted) {
    out += ",\"encrypted\":true,\"plaintext_size\":" + std::to_string(f.plaintext_size) + ",\"plaintext_sha256\":\"" +
           f.plaintext_sha256 + "\"";
  }
  return out + "}";
}

std::string policy_json(const RunFacts& f) {
  return "{\"name\":" + quote(f.policy_name) + ",\"version\":" + quote(f.policy_version) + ",\"sha256\":\"" +
         f.policy_sha256 + "\"}";
}

std::string packs_json(const RunFacts& f) {
  return array_of(f.packs, [](const PackFacts& p) {
    return "{\"name\":" + quote(p.name) + ",\"version\":" + quote(p.version) + ",\"sha256\":\"" + p.sha256 + "\"}";
  });
}

std::string entities_json(const RunFacts& f) {
  std::string out = "{";
  for (const auto& [entity, e] : f.entities) {
    if (out.size() > 1) out += ',';
    out += quote(entity) + ":{\"found\":" + std::to_string(e.found) + ",\"actions\":" + count_map(e.actions) + "}";
  }
  return out + "}";
}

std::string verdict_json(const RunFacts& f) {
  return "\"verdict\":" + quote(f.verdict) + ",\"verdict_reasons\":" + array_of(f.verdict_reasons, quote);
}

}  // namespace

std::string header_entry(const RunFacts& f) {
  return "{\"type\":\"header\",\"format\":\"airlock-audit-v1\",\"airlock_version\":" + quote(f.airlock_version) +
         ",\"run_id\":" + quote(f.run_id) + ",\"started\":" + quote(f.started) + ",\"host\":" + quote(f.host) +
         ",\"audit_level\":" + quote(f.audit_level) +
         ",\"record_digest\":\"hmac-sha256 with the run's audit key (audit-key.age)\",\"policy\":" + policy_json(f) +
         ",\"rule_packs\":" + packs_json(f) + ",\"inputs\":" + array_of(f.inputs, file_json) + "}";
}

std::string totals_entry(const RunFacts& f) {
  return "{\"type\":\"totals\",\"entities\":" + entities_json(f) + ",\"verification\":{\"rescanned\":" +
         std::to_string(f.verification_rescanned) + ",\"findings\":" + std::to_string(f.verification_findings) + "}}";
}

std::string footer_entry(const RunFacts& f) {
  return "{\"type\":\"footer\",\"counts\":" + counts_json(f.counts) + ",\"outputs\":" +
         array_of(f.outputs, file_json) + ",\"seconds\":" + number(f.seconds) + "," + verdict_json(f) + "}";
}

std::string manifest_json(const RunFacts& f, const ChainFacts& chain) {
  return "{\"format\":\"airlock-manifest-v1\",\"kind\":\"run\",\"airlock_version\":" + quote(f.airlock_version) +
         ",\"run_id\":" + quote(f.run_id) + ",\"started\":" + quote(f.started) + ",\"policy\":" + policy_json(f) +
         ",\"rule_packs\":" + packs_json(f) + ",\"inputs\":" + array_of(f.inputs, file_json) +
         ",\"outputs\":" + array_of(f.outputs, file_json) + ",\"counts\":" + counts_json(f.counts) + "," +
         verdict_json(f) + ",\"audit\":{\"path\":\"" + kAuditFile + "\",\"level\":" + quote(f.audit_level) +
         ",\"entries\":" + std::to_string(chain.entries) + ",\"head\":\"" + chain.head + "\"},\"signer\":" +
         (f.signer.empty() ? std::string("null") : quote(f.signer)) + "}\n";
}

Result<std::string> sign_manifest(const crypto::SigningKey& key, std::string_view manifest) {
  Result<std::string> signature = key.sign(manifest);
  if (!signature.ok()) return signature.error();
  return "{\"algorithm\":\"ed25519\",\"public_key\":" + quote(key.public_key()) + ",\"signed\":\"" + kManifestFile +
         "\",\"signature\":\"" + signature.value() + "\"}\n";
}

}  // namespace airlock::audit
