// pipeline: batching, ordering across threads, stages, failures, counts.
#include "pipeline/pipeline.h"

#include <catch2/catch.hpp>

#include "io/io.h"
#include "pipeline/batch.h"
#include "test_util.h"

using namespace airlock;
using pipeline::Batch;
using pipeline::LineBatcher;

namespace {

struct SeenLine {
  uint64_t number;
  uint64_t offset;
  std::string bytes;  // or "<oversize LENGTH>"
};

std::vector<SeenLine> batch_lines(const std::string& input, size_t batch_bytes, size_t max_line, bool* bom = nullptr) {
  auto source = io::memory_source(input);
  LineBatcher batcher(*source, batch_bytes, max_line);
  std::vector<SeenLine> seen;
  for (;;) {
    Result<std::unique_ptr<Batch>> next = batcher.next();
    REQUIRE(next.ok());
    if (!next.value()) break;
    const Batch& batch = *next.value();
    for (const pipeline::LineRef& line : batch.lines) {
      if (line.oversize >= 0) {
        seen.push_back(
            {line.number, line.file_offset,
             "<oversize " + std::to_string(batch.oversize[static_cast<size_t>(line.oversize)].length) + ">"});
      } else {
        seen.push_back({line.number, line.file_offset, std::string(batch.data.data() + line.begin, line.length)});
      }
    }
  }
  if (bom) *bom = batcher.bom_stripped();
  return seen;
}

// The lines of `input` framed on '\n' by hand, for comparison.
std::vector<SeenLine> expected_lines(const std::string& input, size_t skip = 0) {
  std::vector<SeenLine> lines;
  size_t start = skip;
  uint64_t number = 1;
  while (start < input.size()) {
    size_t newline = input.find('\n', start);
    size_t end = newline == std::string::npos ? input.size() : newline;
    lines.push_back({number++, start, input.substr(start, end - start)});
    start = end + 1;
  }
  return lines;
}

void check_same(const std::vector<SeenLine>& got, const std::vector<SeenLine>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("line " << i + 1);
    CHECK(got[i].number == want[i].number);
    CHECK(got[i].offset == want[i].offset);
    CHECK(got[i].bytes == want[i].bytes);
  }
}

// A sink that keeps everything in memory, or fails after `fail_after` writes.
class MemorySink : public io::ByteSink {
 public:
  explicit MemorySink(int fail_after = -1) : fail_after_(fail_after) {}
  Status write(std::string_view bytes) override {
    if (fail_after_ >= 0 && writes_++ >= fail_after_) return io_error("sink: No space left on device");
    text += bytes;
    return ok_status();
  }
  Status finish() override { return ok_status(); }
  std::string text;

 private:
  int fail_after_;
  int writes_ = 0;
};

// A source that fails after delivering `good` bytes, as a failing disk would.
class FailingSource : public io::ByteSource {
 public:
  FailingSource(std::string bytes, size_t good) : bytes_(std::move(bytes)), good_(good) {}
  Result<size_t> read(char* buffer, size_t capacity) override {
    if (pos_ >= good_) return input_error("disk.jsonl: read failed: Input/output error");
    size_t n = std::min({capacity, good_ - pos_, bytes_.size() - pos_});
    std::memcpy(buffer, bytes_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  uint64_t raw_bytes_read() const override { return pos_; }

 private:
  std::string bytes_;
  size_t good_;
  size_t pos_ = 0;
};

pipeline::OpenedInputs memory_inputs(const std::vector<std::string>& contents) {
  pipeline::OpenedInputs inputs;
  for (size_t i = 0; i < contents.size(); ++i) {
    io::InputInfo info;
    info.path = info.display_name = "input" + std::to_string(i) + ".jsonl";
    inputs.infos.push_back(info);
    inputs.sources.push_back(io::memory_source(contents[i]));
  }
  return inputs;
}

struct RunOutput {
  pipeline::Summary summary;
  std::string clean;
  std::string quarantine;
  std::string log;
};

RunOutput run_memory(const std::vector<std::string>& contents, pipeline::Options options,
                     const std::vector<const pipeline::Stage*>& stages = {}) {
  MemorySink clean, quarantine, log;
  Result<pipeline::Summary> summary =
      pipeline::run(options, memory_inputs(contents), stages, {&clean, &quarantine, &log});
  REQUIRE(summary.ok());
  return {summary.value(), clean.text, quarantine.text, log.text};
}

std::string chat_line(size_t i) {
  return R"({"messages":[{"role":"user","content":"question )" + std::to_string(i) +
         R"("},{"role":"assistant","content":"answer )" + std::to_string(i * 31 % 97) + R"("}]})";
}

std::string mixed_input(size_t records) {
  std::string text;
  for (size_t i = 0; i < records; ++i) {
    switch (i % 11) {
      case 3:
        text += "{\"messages\":[{\"role\":\"user\",\"content\":\"broken\n";
        break;
      case 5:
        text += "\n";
        break;
      case 7:
        text += "{\"messages\":[{\"role\":\"user\",\"content\":\"bad \xFF\"}]}\n";
        break;
      default:
        text += chat_line(i) + "\n";
    }
  }
  return text;
}

// Upper-cases ASCII letters of every field: a stand-in for redaction.
class UpperCaseStage : public pipeline::Stage {
 public:
  std::string_view name() const override { return "upper"; }
  Status process(pipeline::Record& record) const override {
    for (record::TextField& field : *record.fields) {
      if (field.text.find("question 1") == std::string_view::npos) continue;
      field.replacement.assign(field.text);
      for (char& c : field.replacement) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      field.replaced = true;
    }
    return ok_status();
  }
};

// Rejects records whose first field mentions "question 2".
class RejectStage : public pipeline::Stage {
 public:
  std::string_view name() const override { return "reject"; }
  Status process(pipeline::Record& record) const override {
    if (!record.fields->empty() && (*record.fields)[0].text.find("question 2") != std::string_view::npos) {
      record.problems.push_back({record::Reason::kFieldType, "rejected by the test stage"});
    }
    *record.log += std::to_string(record.line_number) + "\n";
    return ok_status();
  }
};

// Fails the run on the record that mentions "question 7".
class FailingStage : public pipeline::Stage {
 public:
  std::string_view name() const override { return "failing"; }
  Status process(pipeline::Record& record) const override {
    if ((*record.fields)[0].text == "question 7") return internal_error("the stage ran out of memory");
    return ok_status();
  }
};

}  // namespace

TEST_CASE("batches frame lines on \\n at every batch size, with numbers and offsets", "[pipeline]") {
  std::vector<std::string> inputs = {
      "",
      "\n",
      "a",
      "a\n",
      "a\nb",
      "a\nb\n",
      "\n\n\n",
      "a\r\nb\r\n",
      "line one\nline two\n\nlast without newline",
      std::string(100, 'x') + "\n" + std::string(3, 'y'),
  };
  for (const std::string& input : inputs) {
    for (size_t batch_bytes : {1, 2, 3, 5, 8, 64, 4096}) {
      INFO("input '" << input << "', batch " << batch_bytes);
      check_same(batch_lines(input, batch_bytes, 1 << 20), expected_lines(input));
    }
  }
}

TEST_CASE("a byte-order mark is removed at byte 0 only", "[pipeline]") {
  std::string bom = "\xEF\xBB\xBF";
  for (size_t batch_bytes : {1, 2, 4, 4096}) {
    bool stripped = false;
    std::string input = bom + "a\n" + bom + "b\n";
    auto lines = batch_lines(input, batch_bytes, 1 << 20, &stripped);
    CHECK(stripped);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].bytes == "a");
    CHECK(lines[0].offset == 3);
    CHECK(lines[1].bytes == bom + "b");  // mid-file: content
    CHECK(lines[1].offset == 5);
  }
  bool stripped = true;
  batch_lines("ab\n", 1, 100, &stripped);
  CHECK_FALSE(stripped);
}

TEST_CASE("over-long lines become oversize entries at every position", "[pipeline]") {
  const size_t max = 10;
  std::string input = std::string(9, 'a') + "\n" + std::string(10, 'b') + "\n" + std::string(11, 'c') + "\n" +
                      std::string(5000, 'd') + "\n" + "tail\n" + std::string(25, 'e');
  for (size_t batch_bytes : {1, 3, 10, 11, 64, 100000}) {
    INFO("batch " << batch_bytes);
    auto lines = batch_lines(input, batch_bytes, max);
    REQUIRE(lines.size() == 6);
    CHECK(lines[0].bytes == std::string(9, 'a'));
    CHECK(lines[1].bytes == std::string(10, 'b'));
    CHECK(lines[2].bytes == "<oversize 11>");
    CHECK(lines[2].offset == 21);
    CHECK(lines[3].bytes == "<oversize 5000>");
    CHECK(lines[3].offset == 33);
    CHECK(lines[4].bytes == "tail");
    CHECK(lines[4].offset == 5034);
    CHECK(lines[4].number == 5);
    CHECK(lines[5].bytes == "<oversize 25>");
  }
}

TEST_CASE("the oversize digest is the SHA-256 of the whole line", "[pipeline]") {
  std::string long_line(300000, 'z');
  io::Sha256 want;
  want.update(long_line);
  std::string digest = want.hex_digest();
  for (size_t batch_bytes : {7, 65536}) {
    auto source = io::memory_source("x\n" + long_line + "\ny\n");
    LineBatcher batcher(*source, batch_bytes, 1000);
    std::vector<std::string> digests;
    for (;;) {
      auto next = batcher.next();
      REQUIRE(next.ok());
      if (!next.value()) break;
      for (const auto& o : next.value()->oversize) digests.push_back(o.sha256);
    }
    REQUIRE(digests.size() == 1);
    CHECK(digests[0] == digest);
  }
}

TEST_CASE("output is identical for 1, 2 and 8 threads and any batch size", "[pipeline]") {
  std::string input = mixed_input(3000);
  pipeline::Options options;
  options.threads = 1;
  options.batch_bytes = 1 << 20;
  RunOutput reference = run_memory({input}, options);
  CHECK(reference.summary.totals.quarantined > 0);
  for (unsigned threads : {1u, 2u, 8u}) {
    for (size_t batch_bytes : {size_t{1}, size_t{333}, size_t{4096}}) {
      options.threads = threads;
      options.batch_bytes = batch_bytes;
      options.max_batches_in_flight = threads == 8 ? 3 : 0;  // also under tight backpressure
      RunOutput got = run_memory({input}, options);
      INFO(threads << " threads, batch " << batch_bytes);
      CHECK(got.clean == reference.clean);
      CHECK(got.quarantine == reference.quarantine);
      CHECK(got.summary.totals.records == reference.summary.totals.records);
    }
  }
}

TEST_CASE("unchanged records pass byte for byte and the counts reconcile", "[pipeline]") {
  std::string input = mixed_input(220);
  pipeline::Options options;
  options.threads = 2;
  options.batch_bytes = 512;
  RunOutput out = run_memory({input, "\xEF\xBB\xBF" + chat_line(1) + "\r\n" + chat_line(2)}, options);

  std::string expected_clean;
  for (const std::string& line : test::split_lines(input)) {
    if (line.find("messages") != std::string::npos && line.find("broken") == std::string::npos &&
        line.find('\xFF') == std::string::npos) {
      expected_clean += line + "\n";
    }
  }
  expected_clean += chat_line(1) + "\r\n" + chat_line(2) + "\n";
  CHECK(out.clean == expected_clean);

  const pipeline::Counts& t = out.summary.totals;
  CHECK(t.records == t.clean + t.quarantined);
  CHECK(t.lines == t.records + t.empty_lines);
  CHECK(t.empty_lines == 20);
  CHECK(t.reasons.at("invalid_json") == 20);
  CHECK(t.reasons.at("invalid_utf8") == 20);
  REQUIRE(out.summary.inputs.size() == 2);
  CHECK(out.summary.inputs[1].bom_stripped);
  CHECK(out.summary.inputs[1].counts.clean == 2);
  CHECK(out.summary.inputs[0].counts.bytes == input.size());
  CHECK(test::split_lines(out.quarantine).size() == t.quarantined);
}

TEST_CASE("quarantine entries name the source and line, never losing the record", "[pipeline]") {
  std::string input = "{\"a\":1}\nnot json \xFF\n[1]\n" + std::string(40, 'x') + "\n";
  pipeline::Options options;
  options.max_line_bytes = 30;
  options.fields = "chat";
  RunOutput out = run_memory({input}, options);
  auto lines = test::split_lines(out.quarantine);
  REQUIRE(lines.size() == 4);
  CHECK(
      lines[0] ==
      R"x({"source":"input0.jsonl","line":1,"reasons":[{"code":"missing_field","detail":"none of the selected fields is present: chat (/messages/*/content, /messages/*/content/*/text, /messages/*/tool_calls/*/function/arguments)"}],"record":{"a":1}})x");
  CHECK_THAT(lines[1], Catch::Contains(R"("line":2,"reasons":[{"code":"invalid_utf8")") &&
                           Catch::Contains(R"("raw":"not json \udcff")"));
  CHECK_THAT(lines[2], Catch::Contains(R"("code":"not_object")") && Catch::Contains(R"("raw":"[1]")"));
  io::Sha256 digest;
  digest.update(std::string(40, 'x'));
  CHECK_THAT(lines[3], Catch::Contains(R"("code":"too_large")") && Catch::Contains(R"("offset":23,"length":40)") &&
                           Catch::Contains(digest.hex_digest()));
}

TEST_CASE("stages edit and reject records, edits are spliced in", "[pipeline]") {
  std::string input;
  for (size_t i = 0; i < 40; ++i) input += chat_line(i) + "\n";
  UpperCaseStage upper;
  RejectStage reject;
  pipeline::Options options;
  options.threads = 2;
  options.batch_bytes = 300;
  RunOutput out = run_memory({input}, options, {&reject, &upper});
  CHECK_THAT(out.clean, Catch::Contains(R"("content":"QUESTION 10")"));
  CHECK_THAT(out.clean, Catch::Contains(R"("content":"question 3")"));
  CHECK_THAT(out.quarantine, Catch::Contains("rejected by the test stage"));
  REQUIRE(out.summary.stages.size() == 3);
  CHECK(out.summary.stages[1].name == "reject");
  CHECK(out.summary.stages[1].quarantined == 11);  // question 2, 20..29
  CHECK(out.summary.stages[2].changed == 11);      // question 1, 10..19
  CHECK(out.summary.totals.changed == 11);
  CHECK(out.summary.totals.records == 40);
  std::string expected_log;  // the reject stage logs every record it sees, in order
  for (size_t i = 1; i <= 40; ++i) expected_log += std::to_string(i) + "\n";
  CHECK(out.log == expected_log);
}

TEST_CASE("a stage error stops the run with that error", "[pipeline]") {
  std::string input;
  for (size_t i = 0; i < 400; ++i) input += chat_line(i % 10) + "\n";
  FailingStage failing;
  for (unsigned threads : {1u, 2u}) {
    MemorySink clean, quarantine;
    pipeline::Options options;
    options.threads = threads;
    options.batch_bytes = 500;
    auto result = pipeline::run(options, memory_inputs({input}), {&failing}, {&clean, &quarantine});
    REQUIRE_FALSE(result.ok());
    CHECK_THAT(result.error().message, Catch::Contains("ran out of memory"));
  }
}

TEST_CASE("a failing sink fails the run without hanging", "[pipeline]") {
  std::string input = mixed_input(2000);
  for (unsigned threads : {1u, 2u}) {
    MemorySink clean(3), quarantine;
    pipeline::Options options;
    options.threads = threads;
    options.batch_bytes = 1000;
    options.max_batches_in_flight = 2;
    auto result = pipeline::run(options, memory_inputs({input}), {}, {&clean, &quarantine});
    REQUIRE_FALSE(result.ok());
    CHECK_THAT(result.error().message, Catch::Contains("No space left"));
    CHECK(result.error().exit_code() == 3);
  }
}

TEST_CASE("an input failing mid-way fails the run without hanging", "[pipeline]") {
  std::string input = mixed_input(2000);
  pipeline::OpenedInputs inputs;
  io::InputInfo info;
  info.display_name = "disk.jsonl";
  inputs.infos.push_back(info);
  inputs.sources.push_back(std::make_unique<FailingSource>(input, input.size() / 2));
  MemorySink clean, quarantine;
  pipeline::Options options;
  options.threads = 2;
  options.batch_bytes = 1000;
  auto result = pipeline::run(options, std::move(inputs), {}, {&clean, &quarantine});
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(result.error().message, Catch::Contains("disk.jsonl") && Catch::Contains("Input/output error"));
}

TEST_CASE("auto picks the preset per input by its first non-empty line", "[pipeline]") {
  std::vector<std::string> notices;
  pipeline::Options options;
  options.notice = [&](const std::string& text) { notices.push_back(text); };
  RunOutput out = run_memory({"\n" + chat_line(1) + "\n", "hello there\nsecond line\n"}, options);
  REQUIRE(notices.size() == 2);
  CHECK_THAT(notices[0], Catch::Contains("input0.jsonl: fields: chat") && Catch::Contains("line 2"));
  CHECK_THAT(notices[1], Catch::Contains("input1.jsonl: fields: text"));
  CHECK(out.summary.totals.clean == 3);
}

TEST_CASE("a bad --fields value is a usage error", "[pipeline]") {
  MemorySink clean, quarantine;
  pipeline::Options options;
  options.fields = "messages/content";
  auto result = pipeline::run(options, memory_inputs({"{}\n"}), {}, {&clean, &quarantine});
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().exit_code() == 2);
}
