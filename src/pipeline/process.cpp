// The per-batch work of a worker thread: decode, stages, splice, and the
// clean and quarantine bytes of the batch.
#include <algorithm>

#include "pipeline/batch.h"

namespace airlock::pipeline {
namespace {

bool is_blank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

std::string_view trim_json_space(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

// {"source":…,"line":…,"reasons":[…] — the caller closes the object.
void open_quarantine_entry(std::string& out, const Batch& batch, uint64_t line_number,
                           const std::vector<record::Problem>& problems) {
  out += "{\"source\":";
  record::append_json_string_lossless(out, *batch.source);
  out += ",\"line\":";
  out += std::to_string(line_number);
  out += ",\"reasons\":[";
  for (size_t i = 0; i < problems.size(); ++i) {
    if (i) out += ',';
    out += "{\"code\":\"";
    out += record::reason_code(problems[i].reason);
    out += "\",\"detail\":";
    record::append_json_string_lossless(out, problems[i].detail);
    out += '}';
  }
  out += ']';
}

class BatchProcessor {
 public:
  BatchProcessor(Batch& batch, const std::vector<const Stage*>& stages, const Options& options)
      : batch_(batch), stages_(stages), options_(options) {
    batch_.stage_counts.assign(stages.size() + 1, StageSummary{});
    batch_.clean.reserve(batch_.data.size() + batch_.data.size() / 8);
  }

  void run() {
    for (const LineRef& line : batch_.lines) {
      if (batch_.error) return;
      ++batch_.counts.lines;
      if (line.oversize >= 0) {
        quarantine_oversize(line);
        continue;
      }
      std::string_view bytes(batch_.data.data() + line.begin, line.length);
      if (is_blank(bytes)) {
        ++batch_.counts.empty_lines;
        continue;
      }
      ++batch_.counts.records;
      process_record(line, bytes);
    }
  }

 private:
  void process_record(const LineRef& line, std::string_view bytes) {
    thread_local record::Decoder decoder;
    thread_local std::vector<record::TextField> fields;
    record::Problem problem;
    bool json = !batch_.selector->is_text();
    // Without stages nobody reads the fields: validating is enough.
    auto mode = stages_.empty() ? record::Decoder::Mode::kValidateOnly : record::Decoder::Mode::kFields;
    if (!decoder.decode(bytes, *batch_.selector, fields, problem, mode)) {
      ++batch_.stage_counts[0].quarantined;
      // The record is a JSON object only when it failed on its fields.
      bool is_object = problem.reason == record::Reason::kMissingField || problem.reason == record::Reason::kFieldType;
      std::vector<record::Problem> problems = {std::move(problem)};
      quarantine(line, bytes, problems, is_object);
      audit_entry(line, bytes, "quarantined", &problems, nullptr, 0);
      return;
    }
    Record record;
    record.source = batch_.source;
    record.line_number = line.number;
    record.line = bytes;
    record.fields = &fields;
    record.log = &batch_.log;
    record.vault = &batch_.vault;
    thread_local std::vector<audit::Noted> noted;
    noted.clear();
    record.noted = &noted;
    size_t replaced = 0;
    for (size_t i = 0; i < stages_.size(); ++i) {
      Status status = stages_[i]->process(record);
      if (!status.ok()) {
        batch_.error = status.error();
        return;
      }
      StageSummary& counts = batch_.stage_counts[i + 1];
      if (!record.problems.empty()) {
        ++counts.quarantined;
        quarantine(line, bytes, record.problems, json);
        audit_entry(line, bytes, "quarantined", &record.problems, &noted, 0);
        return;
      }
      size_t now_replaced = count_replaced(fields);
      if (now_replaced != replaced) ++counts.changed;
      replaced = now_replaced;
    }
    ++batch_.counts.clean;
    if (replaced) {
      ++batch_.counts.changed;
      size_t output_start = batch_.clean.size();
      // Dropped messages: where they are is worked out once, for the splice
      // and for the verification pass.
      thread_local std::vector<std::pair<size_t, size_t>> removed;
      removed.clear();
      if (json && std::any_of(fields.begin(), fields.end(), [](const record::TextField& f) { return f.dropped; })) {
        removed = record::removal_spans(bytes, fields);
      }
      record::splice(bytes, json, fields, removed, batch_.clean);
      if (options_.verify_output && !verify(record, output_start, removed)) return;
    } else {
      batch_.clean.append(bytes);
    }
    batch_.clean += '\n';
    audit_entry(line, bytes, replaced ? "changed" : "clean", nullptr, &noted, record.leftover);
  }

  // The verification pass: the output just spliced is decoded again, as a
  // reader of the clean file would, and every stage checks it. False when
  // the run must stop.
  bool verify(Record& record, size_t output_start, const std::vector<std::pair<size_t, size_t>>& removed) {
    thread_local record::Decoder decoder;
    thread_local std::vector<record::TextField> output_fields;
    thread_local std::string padded;
    // The decoder reads a little past the line: copy it with room to spare.
    padded.assign(batch_.clean, output_start, std::string::npos);
    size_t length = padded.size();
    padded.append(record::kReadPadding, ' ');
    std::vector<record::TextField>* original = record.fields;
    std::vector<record::TextField>& expected = fields_left_after_drops(record, removed);
    record::Problem problem;
    bool decoded = decoder.decode(std::string_view(padded.data(), length), *batch_.selector, output_fields, problem,
                                  record::Decoder::Mode::kFields);
    // A record whose every selected field was dropped has none left to find.
    if (!decoded && expected.empty() && problem.reason == record::Reason::kMissingField) {
      decoded = true;
      output_fields.clear();
    }
    if (!decoded || output_fields.size() != expected.size()) {
      batch_.error = internal_error(*batch_.source + ":" + std::to_string(record.line_number) +
                                    ": the edited record does not decode to the same fields (a splicing bug)");
      return false;
    }
    ++batch_.rescanned;
    record.fields = &expected;  // stages compare field i of the output with field i of these
    for (const Stage* stage : stages_) {
      Status status = stage->verify(record, output_fields);
      if (!status.ok()) {
        batch_.error = status.error();
        break;
      }
    }
    record.fields = original;
    batch_.leftover += record.leftover;
    return !batch_.error;
  }

  // The record's fields that are still in its output: all of them, unless
  // some message or member was dropped.
  std::vector<record::TextField>& fields_left_after_drops(const Record& record,
                                                          const std::vector<std::pair<size_t, size_t>>& removed) {
    std::vector<record::TextField>& fields = *record.fields;
    if (removed.empty()) return fields;
    thread_local std::vector<record::TextField> remaining;
    remaining.clear();
    for (const record::TextField& field : fields) {
      bool gone = std::any_of(removed.begin(), removed.end(), [&](const std::pair<size_t, size_t>& span) {
        return field.token_begin >= span.first && field.token_begin < span.second;
      });
      if (!gone) remaining.push_back(field);
    }
    return remaining;
  }

  void audit_entry(const LineRef& line, std::string_view bytes, std::string_view action,
                   const std::vector<record::Problem>* problems, const std::vector<audit::Noted>* noted,
                   uint32_t leftover) {
    if (!options_.audit_digester || batch_.error) return;
    audit::RecordEntry entry;
    entry.input = batch_.input_index;
    entry.line = line.number;
    entry.bytes = bytes;
    entry.action = action;
    entry.problems = problems;
    entry.noted = noted;
    entry.leftover = leftover;
    Status status = audit::append_record_entry(entry, *options_.audit_digester, batch_.log);
    if (!status.ok()) batch_.error = status.error();
  }

  static size_t count_replaced(const std::vector<record::TextField>& fields) {
    size_t n = 0;
    for (const record::TextField& field : fields) n += field.replaced;
    return n;
  }

  void count_quarantined(const std::vector<record::Problem>& problems) {
    ++batch_.counts.quarantined;
    for (const record::Problem& problem : problems)
      ++batch_.counts.reasons[std::string(record::reason_code(problem.reason))];
  }

  void quarantine(const LineRef& line, std::string_view bytes, const std::vector<record::Problem>& problems,
                  bool embed_record) {
    count_quarantined(problems);
    std::string& out = batch_.quarantine;
    open_quarantine_entry(out, batch_, line.number, problems);
    if (embed_record) {
      out += ",\"record\":";
      out += trim_json_space(bytes);
    } else {
      out += ",\"raw\":";
      record::append_json_string_lossless(out, bytes);
    }
    out += "}\n";
  }

  void quarantine_oversize(const LineRef& line) {
    ++batch_.counts.records;
    const OversizeLine& oversize = batch_.oversize[static_cast<size_t>(line.oversize)];
    std::vector<record::Problem> problems = {
        {record::Reason::kTooLarge,
         "the line is " + std::to_string(oversize.length) + " bytes, over the limit (--max-line-bytes)"}};
    count_quarantined(problems);
    ++batch_.stage_counts[0].quarantined;
    std::string& out = batch_.quarantine;
    open_quarantine_entry(out, batch_, line.number, problems);
    out += ",\"offset\":" + std::to_string(line.file_offset);
    out += ",\"length\":" + std::to_string(oversize.length);
    out += ",\"sha256\":\"" + oversize.sha256 + "\"}\n";
    // The line is not in memory: its digest stands for it.
    std::string digest_input = "sha256:" + oversize.sha256;
    audit_entry(line, digest_input, "quarantined", &problems, nullptr, 0);
  }

  Batch& batch_;
  const std::vector<const Stage*>& stages_;
  const Options& options_;
};

}  // namespace

void process_batch(Batch& batch, const std::vector<const Stage*>& stages, const Options& options) {
  BatchProcessor(batch, stages, options).run();
}

}  // namespace airlock::pipeline
