// airlock audit verify and merge: check a run folder against its signed
// manifest, entry by entry and byte for byte, and say exactly what differs.
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <simdjson.h>

#include "audit/audit.h"
#include "audit/json_out.h"
#include "base/utc.h"

namespace airlock::audit {
namespace {

using internal::array_of;
using internal::quote;
using simdjson::dom::element;

constexpr size_t kMaxProblems = 20;  // then "and more": one tampering can break every later check

// A manifest or a signature: small files, read whole. Anything larger than
// any manifest could be (a hostile folder) counts as unreadable.
std::optional<std::string> read_whole_file(const std::string& path) {
  constexpr uintmax_t kMaxManifestBytes = 64u << 20;
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) > kMaxManifestBytes && !ec) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

struct FileDigest {
  uint64_t size = 0;
  std::string sha256;
};

// Size and SHA-256 of a file read in 1 MiB pieces: outputs (a clean output
// of many GB on its way to upload) need not fit in memory.
std::optional<FileDigest> digest_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  io::Sha256 digest;
  FileDigest out;
  std::vector<char> buffer(1 << 20);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    size_t got = static_cast<size_t>(in.gcount());
    out.size += got;
    digest.update({buffer.data(), got});
  }
  if (in.bad()) return std::nullopt;
  out.sha256 = digest.hex_digest();
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  io::Sha256 digest;
  digest.update(bytes);
  return digest.hex_digest();
}

class Checker {
 public:
  explicit Checker(Verification& v) : v_(v) {}
  void problem(const std::string& text) {
    if (v_.problems.size() < kMaxProblems) v_.problems.push_back(text);
    else if (v_.problems.size() == kMaxProblems) v_.problems.push_back("... and more problems after these");
  }
  void checked(const std::string& text) { v_.checked.push_back(text); }
  Verification& v_;
};

std::string text_of(element e, std::string_view key) {
  std::string_view value;
  if (e[key].get(value) != simdjson::SUCCESS) return {};
  return std::string(value);
}
uint64_t number_of(element e, std::string_view key) {
  uint64_t value = 0;
  if (e[key].get(value) != simdjson::SUCCESS) return 0;
  return value;
}

// The signature: manifest.sig over manifest.json's exact bytes.
void check_signature(const std::string& dir, const std::string& manifest, element doc, const VerifyOptions& options,
                     Checker& c) {
  std::optional<std::string> sig_text = read_whole_file(dir + "/" + kSignatureFile);
  std::string declared_signer = text_of(doc, "signer");
  if (!sig_text) {
    if (!declared_signer.empty()) {
      c.problem(std::string(kSignatureFile) + ": missing, though the manifest says it is signed by " + declared_signer);
    } else if (!options.allow_unsigned) {
      c.problem("the run is unsigned (no " + std::string(kSignatureFile) +
                "; it was made without --signing-key): nothing proves who made it");
    } else {
      c.checked("unsigned run: integrity checked, authorship not");
    }
    return;
  }
  simdjson::dom::parser parser;
  element sig;
  std::string_view public_text, signature;
  if (parser.parse(*sig_text).get(sig) != simdjson::SUCCESS || sig["public_key"].get(public_text) != simdjson::SUCCESS ||
      sig["signature"].get(signature) != simdjson::SUCCESS || text_of(sig, "algorithm") != "ed25519") {
    c.problem(std::string(kSignatureFile) + ": malformed (expected algorithm ed25519, public_key and signature)");
    return;
  }
  c.v_.is_signed = true;
  if (declared_signer != public_text) {
    c.problem("manifest.json names signer " + (declared_signer.empty() ? std::string("none") : declared_signer) +
              " but " + kSignatureFile + " is by " + std::string(public_text));
  }
  if (!options.public_key) {
    if (!options.allow_unsigned) c.problem("no public key given: the signature cannot be checked (use --public-key)");
    else c.checked("signature not checked (no public key given)");
    return;
  }
  std::string given = crypto::format_public_key(*options.public_key);
  if (public_text != given) {
    c.problem("signed by another key: " + std::string(public_text) + ", not the given " + given);
    return;
  }
  if (!crypto::verify_signature(*options.public_key, manifest, signature)) {
    c.problem(std::string(kSignatureFile) + ": the signature does not match " + kManifestFile +
              " (the manifest or the signature was changed)");
    return;
  }
  c.checked("signature: valid, by " + given);
}

FileFacts file_facts(element file) {
  FileFacts facts;
  facts.path = text_of(file, "path");
  facts.size = number_of(file, "size");
  facts.sha256 = text_of(file, "sha256");
  bool encrypted = false;
  facts.encrypted = file["encrypted"].get(encrypted) == simdjson::SUCCESS && encrypted;
  facts.plaintext_size = number_of(file, "plaintext_size");
  facts.plaintext_sha256 = text_of(file, "plaintext_sha256");
  return facts;
}

// Each file the manifest lists: present, same size, same SHA-256.
void check_files(const std::string& dir, element manifest, Checker& c) {
  simdjson::dom::array files;
  if (manifest["outputs"].get(files) != simdjson::SUCCESS) {
    c.problem(std::string(kManifestFile) + ": no outputs list");
    return;
  }
  for (element file : files) {
    std::string path = text_of(file, "path");
    if (path.empty() || path.find('/') != std::string::npos || path[0] == '.') {
      c.problem(std::string(kManifestFile) + ": an output path that is not a plain name in the run folder");
      continue;
    }
    std::optional<FileDigest> digest = digest_file(dir + "/" + path);
    if (!digest) {
      c.problem(path + ": missing");
      continue;
    }
    if (digest->size != number_of(file, "size")) {
      c.problem(path + ": " + std::to_string(digest->size) + " bytes, the manifest says " +
                std::to_string(number_of(file, "size")) + " (replaced, truncated or changed)");
    } else if (digest->sha256 != text_of(file, "sha256")) {
      c.problem(path + ": SHA-256 differs from the manifest (the file was replaced or changed)");
    } else {
      c.checked(path + ": size and SHA-256 match");
      c.v_.outputs.push_back(file_facts(file));
    }
  }
}

struct ChainScan {
  uint64_t entries = 0;
  std::string head = std::string(64, '0');
  std::map<std::string, uint64_t> actions;  // record entries per action
  std::string level;
  bool footer_last = false;
  Counts footer_counts;
};

Counts counts_from(element e) {
  Counts counts;
  counts.lines = number_of(e, "lines");
  counts.empty_lines = number_of(e, "empty_lines");
  counts.records = number_of(e, "records");
  counts.clean = number_of(e, "clean");
  counts.changed = number_of(e, "changed");
  counts.quarantined = number_of(e, "quarantined");
  counts.bytes = number_of(e, "bytes");
  simdjson::dom::object reasons;
  if (e["quarantine_reasons"].get(reasons) == simdjson::SUCCESS) {
    for (auto [code, n] : reasons) {
      uint64_t value = 0;
      if (n.get(value) == simdjson::SUCCESS) counts.reasons[std::string(code)] = value;
    }
  }
  return counts;
}

// The counts under `key`; all zero when absent (then they match nothing).
Counts counts_at(element parent, std::string_view key) {
  element counts;
  return parent[key].get(counts) == simdjson::SUCCESS ? counts_from(counts) : Counts();
}

bool same_counts(const Counts& a, const Counts& b) {
  return a.lines == b.lines && a.empty_lines == b.empty_lines && a.records == b.records && a.clean == b.clean &&
         a.changed == b.changed && a.quarantined == b.quarantined && a.bytes == b.bytes && a.reasons == b.reasons;
}

// Walks audit.jsonl: every line parses, carries the next seq, and names the
// previous line's SHA-256; a header first, a footer last.
// Reads a file line by line in bounded memory: an audit log may hold an
// entry per record of a very large run, and a hostile one a line of any
// length. A line over kMaxEntryBytes is handed over cut (marked), its
// SHA-256 still taken over all of it.
class LineReader {
 public:
  static constexpr size_t kMaxEntryBytes = 1 << 20;
  explicit LineReader(std::ifstream& in) : in_(in) {}
  // The next line (without '\n'), or false at the end of the file.
  bool next(std::string& line, std::string& sha256, bool& newline, bool& cut) {
    line.clear();
    io::Sha256 digest;
    newline = cut = false;
    bool any = false;
    for (;;) {
      if (pos_ == size_ && !refill()) break;
      any = true;
      const char* start = buffer_ + pos_;
      const char* found = static_cast<const char*>(std::memchr(start, '\n', size_ - pos_));
      size_t length = found ? static_cast<size_t>(found - start) : size_ - pos_;
      digest.update(std::string_view(start, length));
      size_t room = kMaxEntryBytes - std::min(kMaxEntryBytes, line.size());
      cut |= length > room;
      line.append(start, std::min(length, room));
      pos_ += length + (found ? 1 : 0);
      if (found) {
        newline = true;
        break;
      }
    }
    sha256 = digest.hex_digest();
    return any;
  }

 private:
  bool refill() {
    in_.read(buffer_, sizeof buffer_);
    size_ = static_cast<size_t>(in_.gcount());
    pos_ = 0;
    return size_ > 0;
  }
  std::ifstream& in_;
  char buffer_[1 << 16];
  size_t pos_ = 0;
  size_t size_ = 0;
};

// Walks audit.jsonl: every line parses, carries the next seq, and names the
// previous line's SHA-256; a header first, a footer last.
ChainScan scan_chain(std::ifstream& in, Checker& c) {
  ChainScan scan;
  simdjson::dom::parser parser;
  std::string previous_type;
  uint64_t expected_seq = 0;
  auto reader = std::make_unique<LineReader>(in);
  std::string line, line_sha256;
  bool newline = false, cut = false;
  while (reader->next(line, line_sha256, newline, cut)) {
    uint64_t line_number = scan.entries + 1;
    std::string where = std::string(kAuditFile) + " line " + std::to_string(line_number);
    if (!newline) c.problem(where + ": the last line has no newline (the log was truncated)");
    element entry;
    std::string type;
    if (cut || parser.parse(line.data(), line.size()).get(entry) != simdjson::SUCCESS) {
      c.problem(where + (cut ? ": longer than any audit entry" : ": not a JSON object") +
                " (the entry was changed or cut)");
    } else {
      type = text_of(entry, "type");
      uint64_t seq = number_of(entry, "seq");
      if (seq != expected_seq) {
        c.problem(where + ": seq " + std::to_string(seq) + " where " + std::to_string(expected_seq) +
                  " was expected (an entry was deleted, inserted or moved)");
      } else if (text_of(entry, "prev") != scan.head) {
        c.problem(where + ": does not follow line " + std::to_string(line_number - 1) + " (its prev is not that line's "
                  "SHA-256: line " + std::to_string(line_number - 1) + " was changed, or entries were moved)");
      }
      if (scan.entries == 0 && type != "header") c.problem(where + ": the first entry is not the header");
      if (type == "header") scan.level = text_of(entry, "audit_level");
      if (type == "record") ++scan.actions[text_of(entry, "action")];
      if (type == "footer") {
        element counts;
        if (entry["counts"].get(counts) == simdjson::SUCCESS) scan.footer_counts = counts_from(counts);
      }
    }
    previous_type = type;
    scan.head = line_sha256;
    ++scan.entries;
    // After a gap, follow the log's own numbering: one problem, not one a line.
    expected_seq = (type.empty() ? expected_seq : number_of(entry, "seq")) + 1;
  }
  scan.footer_last = previous_type == "footer";
  if (!scan.footer_last) {
    c.problem(std::string(kAuditFile) + ": ends after " + std::to_string(scan.entries) +
              " entries without its footer (the log was truncated)");
  }
  return scan;
}

void check_audit(const std::string& dir, element manifest, Checker& c) {
  std::ifstream in(dir + "/" + kAuditFile, std::ios::binary);
  if (!in) {
    c.problem(std::string(kAuditFile) + ": missing");
    return;
  }
  size_t before = c.v_.problems.size();
  ChainScan scan = scan_chain(in, c);
  element audit;
  if (manifest["audit"].get(audit) != simdjson::SUCCESS) {
    c.problem(std::string(kManifestFile) + ": no audit section");
    return;
  }
  uint64_t expected_entries = number_of(audit, "entries");
  if (scan.entries != expected_entries) {
    c.problem(std::string(kAuditFile) + ": " + std::to_string(scan.entries) + " entries, the manifest says " +
              std::to_string(expected_entries));
  } else if (scan.head != text_of(audit, "head")) {
    c.problem(std::string(kAuditFile) + ": its last entry is not the one the manifest's chain head names (changed)");
  }
  Counts manifest_counts = counts_at(manifest, "counts");
  if (!manifest_counts.reconciles()) c.problem(std::string(kManifestFile) + ": counts do not reconcile");
  if (scan.footer_last && !same_counts(scan.footer_counts, manifest_counts)) {
    c.problem(std::string(kAuditFile) + ": the footer's counts differ from the manifest's");
  }
  if (scan.level == "records") {
    uint64_t clean = scan.actions["clean"] + scan.actions["changed"];
    uint64_t records = clean + scan.actions["quarantined"];
    if (records != manifest_counts.records || clean != manifest_counts.clean ||
        scan.actions["changed"] != manifest_counts.changed || scan.actions["quarantined"] != manifest_counts.quarantined) {
      c.problem(std::string(kAuditFile) + ": " + std::to_string(records) + " record entries (" + std::to_string(clean) +
                " clean, " + std::to_string(scan.actions["quarantined"]) + " quarantined) where the manifest counts " +
                std::to_string(manifest_counts.records) + " (" + std::to_string(manifest_counts.clean) + ", " +
                std::to_string(manifest_counts.quarantined) + ")");
    }
  }
  if (c.v_.problems.size() == before) {
    c.checked(std::string(kAuditFile) + ": " + std::to_string(scan.entries) + " entries, chain intact, counts reconcile");
  }
}

void read_verdict(element manifest, Verification& v) {
  v.verdict = text_of(manifest, "verdict");
  simdjson::dom::array reasons;
  if (manifest["verdict_reasons"].get(reasons) == simdjson::SUCCESS) {
    for (element reason : reasons) {
      std::string_view text;
      if (reason.get(text) == simdjson::SUCCESS) v.verdict_reasons.emplace_back(text);
    }
  }
}

void verify_into(const std::string& dir, const VerifyOptions& options, Verification& v, int depth);

// A merged manifest: every shard's manifest unchanged, and each shard verifying.
void check_shards(element manifest, const VerifyOptions& options, Checker& c, int depth) {
  simdjson::dom::array shards;
  if (manifest["shards"].get(shards) != simdjson::SUCCESS) {
    c.problem(std::string(kManifestFile) + ": a merged manifest without shards");
    return;
  }
  Counts sum;
  for (element shard : shards) {
    std::string path = text_of(shard, "path");
    std::optional<std::string> bytes = read_whole_file(path + "/" + kManifestFile);
    if (!bytes) {
      c.problem("shard " + path + ": its manifest is missing");
      continue;
    }
    if (sha256_hex(*bytes) != text_of(shard, "manifest_sha256")) {
      c.problem("shard " + path + ": its manifest changed since the merge");
      continue;
    }
    Verification shard_check;
    verify_into(path, options, shard_check, depth + 1);
    for (const std::string& p : shard_check.problems) c.problem("shard " + path + ": " + p);
    simdjson::dom::parser parser;
    element doc;
    if (parser.parse(*bytes).get(doc) == simdjson::SUCCESS) sum.add(counts_at(doc, "counts"));
  }
  if (!same_counts(sum, counts_at(manifest, "counts"))) {
    c.problem(std::string(kManifestFile) + ": the merged counts are not the sum of the shards'");
  } else {
    c.checked(std::to_string(shards.size()) + " shards verified, counts sum up");
  }
}

void verify_into(const std::string& dir, const VerifyOptions& options, Verification& v, int depth) {
  Checker c(v);
  std::optional<std::string> manifest = read_whole_file(dir + "/" + kManifestFile);
  if (!manifest) {
    c.problem(dir + "/" + kManifestFile + ": missing or unreadable (not a completed airlock run folder)");
    return;
  }
  simdjson::dom::parser parser;
  element doc;
  if (parser.parse(*manifest).get(doc) != simdjson::SUCCESS || text_of(doc, "format") != "airlock-manifest-v1") {
    c.problem(std::string(kManifestFile) + ": not an airlock manifest (changed or corrupt)");
    return;
  }
  check_signature(dir, *manifest, doc, options, c);
  read_verdict(doc, v);
  v.run_id = text_of(doc, "run_id");
  v.manifest_sha256 = sha256_hex(*manifest);
  if (text_of(doc, "kind") == "merged") {
    if (depth > 0) c.problem("a merged manifest inside a merged manifest");
    else check_shards(doc, options, c, depth);
    return;
  }
  check_files(dir, doc, c);
  check_audit(dir, doc, c);
}

Status write_new_file(const std::string& dir, const char* name, std::string_view content, bool force) {
  io::AtomicFile::Options options;
  options.mode = 0600;
  options.replace_existing = force;
  Result<std::unique_ptr<io::AtomicFile>> file = io::AtomicFile::create(dir, name, options);
  if (!file.ok()) return file.error();
  Status s = file.value()->write(content);
  return s.ok() ? file.value()->commit() : s;
}

}  // namespace

Verification verify_run(const std::string& dir, const VerifyOptions& options) {
  Verification v;
  verify_into(dir, options, v, 0);
  return v;
}

Status merge_runs(const std::vector<std::string>& dirs, const std::string& out_dir, const VerifyOptions& options,
                  const crypto::SigningKey* key, std::string_view airlock_version, bool force) {
  if (dirs.empty()) return usage_error("audit merge: no run folder given");
  Counts sum;
  std::string policy_sha256, policy_name, policy_version;
  std::vector<std::string> shard_entries, reasons;
  for (const std::string& dir : dirs) {
    Verification check = verify_run(dir, options);
    if (!check.ok()) return input_error(dir + ": does not verify: " + check.problems.front());
    char resolved[PATH_MAX];
    if (!::realpath(dir.c_str(), resolved)) return io_error(dir + ": cannot resolve the folder's path");
    std::string bytes = read_whole_file(dir + "/" + kManifestFile).value_or("");
    simdjson::dom::parser parser;
    element doc;
    if (parser.parse(bytes).get(doc) != simdjson::SUCCESS) return input_error(dir + ": manifest unreadable");
    if (text_of(doc, "kind") != "run") return usage_error(dir + ": only run folders can be merged, not merged manifests");
    element policy;
    if (doc["policy"].get(policy) != simdjson::SUCCESS) return input_error(dir + ": manifest without a policy");
    if (policy_sha256.empty()) {
      policy_sha256 = text_of(policy, "sha256");
      policy_name = text_of(policy, "name");
      policy_version = text_of(policy, "version");
    } else if (text_of(policy, "sha256") != policy_sha256) {
      return usage_error(dir + ": made under another policy (digest " + text_of(policy, "sha256").substr(0, 16) +
                         "…, the first shard's is " + policy_sha256.substr(0, 16) + "…): shards must share one policy");
    }
    sum.add(counts_at(doc, "counts"));
    for (const std::string& reason : check.verdict_reasons) reasons.push_back(dir + ": " + reason);
    if (check.verdict != "pass" && check.verdict_reasons.empty()) reasons.push_back(dir + ": verdict " + check.verdict);
    shard_entries.push_back("{\"path\":" + quote(resolved) + ",\"run_id\":" + quote(text_of(doc, "run_id")) +
                            ",\"manifest_sha256\":\"" + sha256_hex(bytes) + "\",\"verdict\":" + quote(check.verdict) +
                            ",\"counts\":" + internal::counts_json(counts_at(doc, "counts")) + "}");
  }
  std::string verdict = reasons.empty() ? "pass" : "fail";
  std::string manifest = "{\"format\":\"airlock-manifest-v1\",\"kind\":\"merged\",\"airlock_version\":" +
                         quote(airlock_version) + ",\"created\":" + quote(utc_timestamp()) + ",\"policy\":{\"name\":" +
                         quote(policy_name) + ",\"version\":" + quote(policy_version) + ",\"sha256\":\"" +
                         policy_sha256 + "\"},\"shards\":" + array_of(shard_entries, [](const std::string& s) { return s; }) +
                         ",\"counts\":" + internal::counts_json(sum) + ",\"verdict\":\"" + verdict +
                         "\",\"verdict_reasons\":" + array_of(reasons, quote) + ",\"signer\":" +
                         (key ? quote(key->public_key()) : std::string("null")) + "}\n";
  if (::mkdir(out_dir.c_str(), 0700) != 0 && errno != EEXIST) return io_error(out_dir + ": cannot create folder");
  Status s = write_new_file(out_dir, kManifestFile, manifest, force);
  if (s.ok() && key) {
    Result<std::string> signature = sign_manifest(*key, manifest);
    if (!signature.ok()) return signature.error();
    s = write_new_file(out_dir, kSignatureFile, signature.value(), force);
  }
  return s;
}

}  // namespace airlock::audit
