// record: decoding and validating lines, selecting fields, splicing.
#include "record/finetune.h"
#include "record/record.h"

#include <simdjson.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include "test_util.h"

using namespace airlock;
using record::Reason;

namespace {

struct Decoded {
  bool ok = false;
  record::Problem problem;
  std::vector<record::TextField> fields;
  std::vector<std::string> texts;  // copies: field views die with the next decode
  std::string line;                // the padded copy the fields point into
};

// Decodes `line` as the pipeline does: with readable padding after it.
Decoded decode(const std::string& line, const std::string& fields = "chat",
               record::Decoder::Mode mode = record::Decoder::Mode::kFields) {
  static record::Decoder decoder;
  Decoded d;
  d.line = line + std::string(record::kReadPadding, ' ');
  std::string_view view(d.line.data(), line.size());
  auto selector = record::FieldSelector::parse(fields);
  REQUIRE(selector.ok());
  d.ok = decoder.decode(view, selector.value(), d.fields, d.problem, mode);
  for (const auto& f : d.fields) d.texts.emplace_back(f.text);
  return d;
}

Reason reason_of(const std::string& line, const std::string& fields = "chat") {
  Decoded d = decode(line, fields);
  REQUIRE_FALSE(d.ok);
  return d.problem.reason;
}

}  // namespace

TEST_CASE("field selectors: presets and JSON pointers with wildcards", "[record]") {
  auto chat = record::FieldSelector::parse("chat");
  REQUIRE(chat.ok());
  CHECK(chat->preset() == record::Preset::kChat);
  CHECK_THAT(chat->describe(), Catch::Contains("/messages/*/content"));

  auto custom = record::FieldSelector::parse("/a/*/b~1c~0d,/x");
  REQUIRE(custom.ok());
  CHECK(custom->preset() == record::Preset::kCustom);
  REQUIRE(custom->steps().size() == 2);
  const auto& steps = custom->steps()[0];
  REQUIRE(steps.size() == 3);
  CHECK(steps[0].key == "a");
  CHECK(steps[1].wildcard);
  CHECK(steps[2].key == "b/c~d");
  auto indexes = record::FieldSelector::parse("/7/07/x");
  REQUIRE(indexes.ok());
  CHECK(indexes->steps()[0][0].is_index);
  CHECK(indexes->steps()[0][0].index == 7);
  CHECK_FALSE(indexes->steps()[0][1].is_index);

  CHECK_FALSE(record::FieldSelector::parse("messages").ok());
  CHECK_FALSE(record::FieldSelector::parse("/a/~2").ok());
  CHECK_FALSE(record::FieldSelector::parse("/a,").ok());
  CHECK(record::FieldSelector::parse("/a,").error().exit_code() == 2);
}

TEST_CASE("chat records: string content, text parts and tool arguments are selected", "[record]") {
  std::string line =
      R"({"messages":[{"role":"user","content":"hi \u00e9 \"q\""},)"
      R"({"role":"assistant","content":[{"type":"text","text":"part"},{"type":"image_url","image_url":{"url":"u"}}]},)"
      R"({"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]}]})";
  Decoded d = decode(line);
  REQUIRE(d.ok);
  REQUIRE(d.fields.size() == 3);
  CHECK(d.fields[0].pointer == "/messages/0/content");
  CHECK(d.texts[0] == "hi \xC3\xA9 \"q\"");
  CHECK(line.substr(d.fields[0].token_begin, d.fields[0].token_end - d.fields[0].token_begin) ==
        R"("hi \u00e9 \"q\"")");
  CHECK(d.fields[1].pointer == "/messages/1/content/0/text");
  CHECK(d.texts[1] == "part");
  CHECK(d.fields[2].pointer == "/messages/2/tool_calls/0/function/arguments");
  CHECK(d.texts[2] == "{\"a\":1}");
}

TEST_CASE("records without the selected fields, or with the wrong types, are refused", "[record]") {
  CHECK(reason_of(R"({"prompt":"p","completion":"c"})") == Reason::kMissingField);
  CHECK(reason_of(R"({"messages":[]})") == Reason::kMissingField);
  CHECK(reason_of(R"({"messages":[{"role":"user","content":42}]})") == Reason::kFieldType);
  CHECK(reason_of(R"({"messages":[{"role":"user","content":true}]})") == Reason::kFieldType);
  CHECK(reason_of(R"({"messages":[{"role":"user","content":{"text":"x"}}]})") == Reason::kFieldType);
  Decoded d = decode(R"({"messages":[{"role":"user","content":7}]})");
  CHECK_THAT(d.problem.detail, Catch::Contains("/messages/0/content") && Catch::Contains("number"));
  // A null content holds no text but is not a wrong type (assistant tool calls).
  CHECK(decode(R"({"messages":[{"role":"assistant","content":null}]})").ok);
}

TEST_CASE("invalid JSON, non-objects and trailing content are told apart", "[record]") {
  for (std::string bad : {R"({"a":)", R"({"a" 1})", R"({'a':1})", R"({"a":1,})", R"({"a":tru})", R"({"a":01})",
                          R"({"a":"\x"})", R"({"a":1}})", R"({"a":1} x)", "not json", "{"}) {
    INFO(bad);
    CHECK(reason_of(bad, "all") == Reason::kInvalidJson);
  }
  for (std::string other : {"[1,2]", "\"text\"", "42", "null", "true"}) {
    INFO(other);
    CHECK(reason_of(other, "all") == Reason::kNotObject);
  }
}

TEST_CASE("ill-formed UTF-8 is refused, including overlongs and encoded surrogates", "[record]") {
  for (std::string bytes :
       {std::string("\xC0\xAF"), std::string("\xC0\x80"), std::string("\xED\xA0\x80"), std::string("\xF5\x80\x80\x80"),
        std::string("\xFF"), std::string("\x80"), std::string("\xE2\x82"), std::string("\xF4\x90\x80\x80"),
        std::string("\xF8\x88\x80\x80\x80")}) {
    std::string line = "{\"messages\":[{\"role\":\"user\",\"content\":\"a" + bytes + "b\"}]}";
    CHECK(reason_of(line) == Reason::kInvalidUtf8);
    CHECK(reason_of("a" + bytes, "text") == Reason::kInvalidUtf8);
  }
}

TEST_CASE("lone surrogate escapes are refused in either order, pairs decode", "[record]") {
  for (std::string escape :
       {R"(\ud800)", R"(\udc00)", R"(\udc00\ud800)", R"(\ud800x)", R"(\ud800\u0041)", R"(\uD800\uD800)"}) {
    INFO(escape);
    CHECK(reason_of(R"({"messages":[{"role":"user","content":"a)" + escape + R"("}]})") == Reason::kLoneSurrogate);
    CHECK(reason_of(R"({"k)" + escape + R"(":1,"messages":[{"role":"user","content":"a"}]})") ==
          Reason::kLoneSurrogate);
  }
  Decoded pair = decode(R"({"messages":[{"role":"user","content":"\ud83d\ude00"}]})");
  REQUIRE(pair.ok);
  CHECK(pair.texts[0] == "\xF0\x9F\x98\x80");
}

TEST_CASE("a raw NUL byte is refused, an escaped one is kept with its length", "[record]") {
  CHECK(reason_of(std::string("{\"a\":\"x\0y\"}", 11), "all") == Reason::kNulByte);
  CHECK(reason_of(std::string("a\0b", 3), "text") == Reason::kNulByte);
  Decoded d = decode(R"({"messages":[{"role":"user","content":"a\u0000b"}]})");
  REQUIRE(d.ok);
  CHECK(d.texts[0] == std::string("a\0b", 3));
}

TEST_CASE("deep nesting is refused as too deep, without a crash", "[record]") {
  std::string deep = "{\"a\":" + std::string(5000, '[') + std::string(5000, ']') + "}";
  CHECK(reason_of(deep, "all") == Reason::kTooDeep);
  std::string unclosed = "{\"a\":" + std::string(100000, '[');
  Decoded d = decode(unclosed, "all");
  CHECK_FALSE(d.ok);
}

TEST_CASE("every value of a duplicated key is selected", "[record]") {
  Decoded d = decode(R"({"text":"ok","text":"second"})", "/text");
  REQUIRE(d.ok);
  REQUIRE(d.texts.size() == 2);
  CHECK(d.texts[1] == "second");
}

TEST_CASE("pointers escape '/' and '~' in keys, array indexes match exactly", "[record]") {
  Decoded d = decode(R"({"a/b":{"c~d":"v"},"list":["x","y","z"]})", "/a~1b/c~0d,/list/1");
  REQUIRE(d.ok);
  REQUIRE(d.fields.size() == 2);
  CHECK(d.fields[0].pointer == "/a~1b/c~0d");
  CHECK(d.fields[1].pointer == "/list/1");
  CHECK(d.texts[1] == "y");
  CHECK(decode(R"({"list":["x","y"]})", "/list/01").problem.reason == Reason::kMissingField);
}

TEST_CASE("the all preset selects every string value, and keys stay out", "[record]") {
  Decoded d = decode(R"({"a":"1","b":{"c":["2",3,{"d":"4"}]},"e":null})", "all");
  REQUIRE(d.ok);
  CHECK(d.texts == std::vector<std::string>{"1", "2", "4"});
  CHECK(d.fields[2].pointer == "/b/c/2/d");
  CHECK(decode("{}", "all").ok);
}

TEST_CASE("text lines: the whole line is the field, a final CR excluded", "[record]") {
  Decoded d = decode("plain words\r", "text");
  REQUIRE(d.ok);
  REQUIRE(d.fields.size() == 1);
  CHECK(d.texts[0] == "plain words");
  CHECK(d.fields[0].pointer.empty());
  CHECK(d.fields[0].token_end == 11);
}

TEST_CASE("auto picks the preset by the shape of a record", "[record]") {
  using record::Preset;
  CHECK(record::detect_preset(R"({"messages":[]})") == Preset::kChat);
  CHECK(record::detect_preset(R"({"custom_id":"1","method":"POST","url":"/v1/chat/completions","body":{}})") ==
        Preset::kBatch);
  CHECK(record::detect_preset(R"({"input":{"messages":[]},"preferred_output":[],"non_preferred_output":[]})") ==
        Preset::kPreference);
  CHECK(record::detect_preset(R"({"prompt":"p"})") == Preset::kAll);
  CHECK(record::detect_preset(R"({"broken":)") == Preset::kAll);
  CHECK(record::detect_preset("just text") == Preset::kText);
  CHECK(record::detect_preset("[1]") == Preset::kText);
}

TEST_CASE("splicing changes only the replaced strings, re-escaped", "[record]") {
  std::string line = R"({"messages":[{"role":"user","content":"a\u0041"},{"role":"user","content":"keep"}]})";
  Decoded d = decode(line);
  REQUIRE(d.ok);
  std::string unchanged;
  record::splice(line, true, d.fields, unchanged);
  CHECK(unchanged == line);

  d.fields[0].replaced = true;
  d.fields[0].replacement = "new \"q\" \\ \n\t\x01 é";
  std::string out;
  record::splice(line, true, d.fields, out);
  CHECK(out ==
        R"({"messages":[{"role":"user","content":"new \"q\" \\ \n\t\u0001 é"},{"role":"user","content":"keep"}]})");
}

TEST_CASE("splicing a text line keeps it one line", "[record]") {
  Decoded d = decode("call me at 555\r", "text");
  REQUIRE(d.ok);
  d.fields[0].replaced = true;
  d.fields[0].replacement = "x\ny";
  std::string out;
  record::splice("call me at 555\r", false, d.fields, out);
  CHECK(out == "x y\r");
}

// Marks the fields whose text contains `marker` dropped, splices, and
// checks the result is valid JSON.
std::string drop_fields_with(const std::string& line, const std::string& marker, const std::string& fields = "chat") {
  Decoded d = decode(line, fields);
  REQUIRE(d.ok);
  for (size_t i = 0; i < d.fields.size(); ++i) {
    if (d.texts[i].find(marker) == std::string::npos) continue;
    d.fields[i].replaced = true;
    d.fields[i].dropped = true;
  }
  std::string out;
  record::splice(std::string_view(d.line.data(), line.size()), true, d.fields, out);
  simdjson::dom::parser parser;
  simdjson::dom::element parsed;
  INFO(out);
  CHECK(parser.parse(out).get(parsed) == simdjson::SUCCESS);
  return out;
}

TEST_CASE("dropping removes the message holding a string, or its member, and keeps valid JSON", "[record]") {
  // The first, a middle and the last message; the commas follow.
  CHECK(drop_fields_with(R"({"messages":[{"role":"user","content":"X"},{"role":"assistant","content":"b"}]})", "X") ==
        R"({"messages":[{"role":"assistant","content":"b"}]})");
  CHECK(drop_fields_with(R"({"messages":[{"content":"a"}, {"content":"X"} ,{"content":"c"}]})", "X") ==
        R"({"messages":[{"content":"a"} ,{"content":"c"}]})");
  CHECK(drop_fields_with(R"({"messages":[{"content":"a"},{"content":"X"}],"n":1})", "X") ==
        R"({"messages":[{"content":"a"}],"n":1})");
  CHECK(drop_fields_with(R"({"messages":[{"content":"X"}]})", "X") == R"({"messages":[]})");
  // Two strings of one message, and content parts: the message goes once.
  CHECK(drop_fields_with(R"({"messages":[{"content":[{"type":"text","text":"X1"},{"type":"text","text":"X2"}]},)"
                         R"({"content":"keep"}]})",
                         "X") == R"({"messages":[{"content":"keep"}]})");
  // Outside a messages array: the member itself, whichever its place.
  CHECK(drop_fields_with(R"({"prompt":"X","completion":"c"})", "X", "all") == R"({"completion":"c"})");
  CHECK(drop_fields_with(R"({"a":1, "prompt" : "X" })", "X", "all") == R"({"a":1 })");
  CHECK(drop_fields_with(R"({"prompt":"X"})", "X", "all") == R"({})");
  CHECK(drop_fields_with(R"({"list":["ok","X \"q\" ]}",{"k":"v"}],"k\"e,y":"v"})", "X", "all") ==
        R"({"list":["ok",{"k":"v"}],"k\"e,y":"v"})");
  // A replaced string elsewhere is still written; one inside a dropped message is not.
  Decoded d = decode(R"({"messages":[{"content":"edit me"},{"content":"X","name":"n"}]})");
  REQUIRE(d.ok);
  d.fields[0].replaced = true;
  d.fields[0].replacement = "edited";
  d.fields[1].replaced = true;
  d.fields[1].dropped = true;
  std::string out;
  record::splice(std::string_view(d.line.data(), d.line.size() - record::kReadPadding), true, d.fields, out);
  CHECK(out == R"({"messages":[{"content":"edited"}]})");
}

TEST_CASE("JSON string writing: escapes, and lossless invalid bytes", "[record]") {
  std::string out;
  record::append_json_string(out, "a\"b\\c\x1f\xC3\xA9");
  CHECK(out == "\"a\\\"b\\\\c\\u001f\xC3\xA9\"");
  out.clear();
  record::append_json_string_lossless(out, std::string("ok\xFF\xC3\xA9\xED\xA0\x80", 8));
  CHECK(out == "\"ok\\udcff\xC3\xA9\\udced\\udca0\\udc80\"");
}

TEST_CASE("UTF-8 validation follows RFC 3629", "[record]") {
  CHECK(record::is_valid_utf8("plain \xC3\xA9 \xF0\x9F\x98\x80"));
  CHECK_FALSE(record::is_valid_utf8("\xC0\xAF"));
  CHECK_FALSE(record::is_valid_utf8("\xED\xA0\x80"));
  CHECK_FALSE(record::is_valid_utf8("\xF4\x90\x80\x80"));
}

// JSONTestSuite (../shared/testvectors/jsontestsuite): y_ must parse, n_ must
// be refused, i_ may go either way but must not crash.
TEST_CASE("JSONTestSuite: accepts every y_ file and refuses every n_ file", "[record][conformance]") {
  std::string folder = std::string(AIRLOCK_SHARED_DIR) + "/testvectors/jsontestsuite/test_parsing";
  REQUIRE(std::filesystem::is_directory(folder));
  size_t accepted = 0, refused = 0, either = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    std::string name = entry.path().filename().string();
    std::string bytes = test::read_file(entry.path().string());
    Decoded d = decode(bytes, "all");
    bool valid_json = d.ok || d.problem.reason == Reason::kNotObject;
    INFO(name << ": " << d.problem.detail);
    if (name.rfind("y_", 0) == 0) {
      CHECK(valid_json);
      ++accepted;
    } else if (name.rfind("n_", 0) == 0) {
      CHECK_FALSE(valid_json);
      ++refused;
    } else {
      ++either;
    }
  }
  CHECK(accepted > 90);
  CHECK(refused > 180);
  WARN("JSONTestSuite: " << accepted << " y_, " << refused << " n_, " << either << " i_ files checked");
}

TEST_CASE("raw control characters inside strings and keys are refused", "[record]") {
  for (char c : {'\x01', '\t', '\n', '\x1f'}) {
    std::string value = std::string("{\"messages\":[{\"role\":\"user\",\"content\":\"a") + c + "b\"}]}";
    CHECK(reason_of(value) == Reason::kInvalidJson);
    std::string key = std::string("{\"k") + c + "\":1,\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}";
    CHECK(reason_of(key) == Reason::kInvalidJson);
  }
}

// Differential: validating without decoding must accept and refuse exactly
// what decoding does, for the same reasons.
TEST_CASE("validate-only decoding agrees with full decoding", "[record][differential]") {
  std::vector<std::string> lines = {
      R"({"messages":[{"role":"user","content":"a\nb \"q\" \u00e9 \ud83d\ude00 \/ \b\f\r\t"}]})",
      R"({"messages":[{"role":"user","content":"\ud800"}]})",
      R"({"messages":[{"role":"user","content":"\udc00\ud800"}]})",
      R"({"messages":[{"role":"user","content":"\ud800\u0041"}]})",
      R"({"messages":[{"role":"user","content":"\x"}]})",
      R"({"messages":[{"role":"user","content":"\u12"}]})",
      R"({"messages":[{"role":"user","content":"\u12G4"}]})",
      R"({"messages":[{"role":"user","content":"end\\"}]})",
      R"({"messages":[{"role":"user","content":5}]})",
      R"({"other":"\n"})",
      R"({"k\ud800":1,"messages":[{"role":"user","content":"a"}]})",
  };
  std::string folder = std::string(AIRLOCK_SHARED_DIR) + "/testvectors/jsontestsuite/test_parsing";
  for (const auto& entry : std::filesystem::directory_iterator(folder)) lines.push_back(test::read_file(entry.path()));
  for (const std::string& line : lines) {
    for (const char* fields : {"chat", "all"}) {
      Decoded full = decode(line, fields);
      Decoded quick = decode(line, fields, record::Decoder::Mode::kValidateOnly);
      INFO(line << " with " << fields);
      CHECK(full.ok == quick.ok);
      if (!full.ok && !quick.ok)
        CHECK(record::reason_code(full.problem.reason) == record::reason_code(quick.problem.reason));
      CHECK(quick.fields.empty());
    }
  }
}

TEST_CASE("fields carry the role of the message holding them, wherever the role key is", "[record]") {
  Decoded d = decode(
      R"({"messages":[{"content":"first","role":"system"},{"role":"user","content":[{"type":"text","text":"part"}]},)"
      R"({"role":"assistant","content":null,"tool_calls":[{"function":{"name":"f","arguments":"{}"}}]}]})");
  REQUIRE(d.ok);
  REQUIRE(d.fields.size() == 3);
  CHECK(d.fields[0].role == "system");
  CHECK(d.fields[1].role == "user");
  CHECK(d.fields[2].role == "assistant");
  Decoded plain = decode(R"({"text":"no role here"})", "/text");
  REQUIRE(plain.ok);
  CHECK(plain.fields[0].role.empty());
}

// One broken line of each kind among good ones: the checker must name the
// kind and the line.
TEST_CASE("fine-tune checks report each kind of problem with its line", "[record][finetune]") {
  const std::string good = R"({"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]})";
  const std::vector<std::pair<std::string, std::string>> broken = {
      {"invalid_json", R"({"messages":[)"},
      {"invalid_utf8", "{\"messages\":[{\"role\":\"user\",\"content\":\"\xFF\"}]}"},
      {"not_object", R"([1,2])"},
      {"unrecognized_key", R"({"messages":[{"role":"assistant","content":"x"}],"extra":1})"},
      {"missing_messages", R"({"messages":[]})"},
      {"message_not_object", R"({"messages":["hi",{"role":"assistant","content":"x"}]})"},
      {"unrecognized_message_key", R"({"messages":[{"role":"assistant","content":"x","mood":"ok"}]})"},
      {"message_missing_role", R"({"messages":[{"content":"x"},{"role":"assistant","content":"y"}]})"},
      {"unknown_role", R"({"messages":[{"role":"robot","content":"x"},{"role":"assistant","content":"y"}]})"},
      {"message_missing_content", R"({"messages":[{"role":"user"},{"role":"assistant","content":"y"}]})"},
      {"bad_content_part", R"({"messages":[{"role":"user","content":[{"type":"video"}]},{"role":"assistant","content":"y"}]})"},
      {"bad_tool_calls", R"({"messages":[{"role":"user","content":"x"},{"role":"assistant","content":null,"tool_calls":[{"id":"1"}]}]})"},
      {"bad_tools", R"({"tools":[{"type":"plugin"}],"messages":[{"role":"assistant","content":"x"}]})"},
      {"bad_weight", R"({"messages":[{"role":"user","content":"x","weight":1},{"role":"assistant","content":"y"}]})"},
      {"no_assistant_message", R"({"messages":[{"role":"user","content":"x"}]})"},
  };
  for (const auto& [kind, line] : broken) {
    record::FineTuneChecker checker;
    for (uint64_t n = 1; n <= 12; ++n) {
      std::string text = n == 7 ? line : good.substr(0, good.size() - 2) + ",{\"role\":\"user\",\"content\":\"" +
                                             std::to_string(n) + "\"}]}";
      checker.add_line(text, n);
    }
    checker.finish();
    INFO(kind);
    CHECK_FALSE(checker.accepted());
    REQUIRE(checker.errors().count(kind) == 1);
    CHECK(checker.errors().at(kind).first_lines == std::vector<uint64_t>{7});
  }
  record::FineTuneChecker fine;
  for (uint64_t n = 1; n <= 10; ++n) fine.add_line(good.substr(0, good.size() - 2) + ",{\"role\":\"assistant\",\"content\":\"" + std::to_string(n) + "\",\"weight\":0}]}", n);
  fine.add_line(good, 11);
  fine.add_line(good, 12);
  fine.finish();
  CHECK(fine.accepted());
  REQUIRE(fine.warnings().count("duplicate") == 1);
  CHECK(fine.warnings().at("duplicate").first_lines == std::vector<uint64_t>{12});
  record::FineTuneChecker few;
  few.add_line(good, 1);
  few.finish();
  CHECK(few.errors().count("too_few_examples") == 1);
}

namespace {

const std::string kFineTuneFixtures = std::string(AIRLOCK_SOURCE_DIR) + "/fixtures/finetune";

record::FineTuneOptions fixture_options(record::FineTuneFormat format) {
  auto catalog = record::ModelCatalog::load(kFineTuneFixtures + "/models.yaml");
  REQUIRE(catalog.ok());
  record::FineTuneOptions options;
  options.format = format;
  options.model = catalog->find("tiny-context").value();
  options.prices_taken = catalog->taken();
  return options;
}

record::FineTuneChecker check_file(const std::string& path, record::FineTuneFormat format) {
  record::FineTuneChecker checker(fixture_options(format));
  uint64_t n = 0;
  for (const std::string& line : test::split_lines(test::read_file(path))) checker.add_line(line, ++n);
  checker.finish();
  return checker;
}

}  // namespace

TEST_CASE("each broken fine-tuning fixture has exactly its kind, at its line", "[record][finetune]") {
  std::set<std::string> covered;
  for (const std::string& row : test::split_lines(test::read_file(kFineTuneFixtures + "/expected.tsv"))) {
    if (row.empty() || row[0] == '#') continue;
    std::istringstream fields(row);
    std::string file, format, kind;
    uint64_t line = 0;
    fields >> file >> format >> kind >> line;
    INFO(file);
    record::FineTuneChecker checker = check_file(kFineTuneFixtures + "/" + file, record::format_from_name(format).value());
    REQUIRE(checker.errors().size() == 1);
    REQUIRE(checker.errors().count(kind) == 1);
    CHECK(std::count(record::kFineTuneErrorKinds.begin(), record::kFineTuneErrorKinds.end(), kind) == 1);
    std::vector<uint64_t> lines;
    if (line > 0) lines.push_back(line);
    CHECK(checker.errors().at(kind).first_lines == lines);
    covered.insert(kind);
  }
  for (std::string_view kind : record::kFineTuneErrorKinds) {
    if (kind == "too_large" || kind == "too_many_requests") continue;  // made below
    INFO(kind);
    CHECK(covered.count(std::string(kind)) == 1);
  }
  for (const char* format : {"chat", "preference", "batch"}) {
    auto good = check_file(kFineTuneFixtures + "/" + format + "/good.jsonl", record::format_from_name(format).value());
    INFO(format);
    CHECK(good.accepted());
    CHECK(good.examples() == 12);
  }
}

TEST_CASE("a Batch file of more than 50,000 requests is refused at the first one over", "[record][finetune]") {
  record::FineTuneChecker checker(fixture_options(record::FineTuneFormat::kBatch));
  const uint64_t limit = record::FineTuneChecker::kMaximumBatchRequests;
  for (uint64_t n = 1; n <= limit + 2; ++n) {
    checker.add_line(R"({"custom_id":"r)" + std::to_string(n) +
                         R"(","method":"POST","url":"/v1/embeddings","body":{"model":"m","input":"hi"}})",
                     n);
  }
  checker.finish();
  REQUIRE(checker.errors().size() == 1);
  CHECK(checker.errors().at("too_many_requests").first_lines == std::vector<uint64_t>{limit + 1});
}

TEST_CASE("chat tokens are counted as OpenAI's cookbook counts them", "[record][finetune][tokens]") {
  record::FineTuneChecker checker(fixture_options(record::FineTuneFormat::kChat));
  // o200k_base: "user", "hi", "assistant", "hello", "bob" are one token each.
  checker.add_line(R"({"messages":[{"role":"user","content":"hi","name":"bob"},{"role":"assistant","content":"hello"}]})", 1);
  checker.add_line(R"({"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello","weight":0}]})", 2);
  const record::TokenTotals& totals = checker.tokens().at(tokens::Encoding::kO200kBase);
  // (3 + 1 + 1 + 1 + 1) + (3 + 1 + 1) + 3 priming = 15; then 3+1+1 + 3+1+1 + 3 = 13.
  CHECK(totals.per_example == std::vector<uint64_t>{15, 13});
  CHECK(totals.content == 4);
  CHECK(totals.total == 28);
  CHECK(totals.trained == 1);  // weight 0 is not trained on
  // 1 trained token x 3 epochs x $10 per million.
  CHECK(checker.estimated_cost_usd() == Approx(30e-6));
  CHECK(checker.tokens().count(tokens::Encoding::kCl100kBase) == 1);
}

TEST_CASE("preference and Batch examples are counted by what the model reads", "[record][finetune][tokens]") {
  auto count = [](std::string_view text) {
    return tokens::Tokenizer::get(tokens::Encoding::kO200kBase).value()->count(text);
  };
  const uint64_t per_message = tokens::kTokensPerMessage;
  record::FineTuneChecker preference(fixture_options(record::FineTuneFormat::kPreference));
  preference.add_line(R"({"input":{"messages":[{"role":"user","content":"Which prime?"}]},)"
                      R"("preferred_output":[{"role":"assistant","content":"Seven."}],)"
                      R"("non_preferred_output":[{"role":"assistant","content":"Eight, surely."}]})",
                      1);
  const record::TokenTotals& dpo = preference.tokens().at(tokens::Encoding::kO200kBase);
  // The input once, both outputs, each with its message overhead, and the reply priming.
  uint64_t outputs = count("Seven.") + count("Eight, surely.");
  CHECK(dpo.content == count("Which prime?") + outputs);
  CHECK(dpo.trained == outputs);
  CHECK(dpo.total == 3 * per_message + count("user") + 2 * count("assistant") + dpo.content +
                         tokens::kTokensReplyPriming);

  record::FineTuneChecker batch(fixture_options(record::FineTuneFormat::kBatch));
  batch.add_line(R"({"custom_id":"a","method":"POST","url":"/v1/embeddings",)"
                 R"("body":{"model":"text-embedding-3-small","input":["hello world","Bonjour à tous"]}})",
                 1);
  batch.finish();
  CHECK(batch.accepted());  // a Batch file has no minimum
  const record::TokenTotals& requests = batch.tokens().at(tokens::Encoding::kO200kBase);
  CHECK(requests.content == count("hello world") + count("Bonjour à tous"));
  CHECK(requests.total == requests.content);  // embedding inputs carry no message overhead
  CHECK(requests.trained == 0);
  CHECK(batch.estimated_cost_usd() == 0);
}

TEST_CASE("the auto format is decided by the first record", "[record][finetune]") {
  for (const char* format : {"chat", "preference", "batch"}) {
    auto checker = check_file(kFineTuneFixtures + "/" + format + "/good.jsonl", record::FineTuneFormat::kAuto);
    CHECK(record::format_name(checker.format()) == format);
    CHECK(checker.accepted());
  }
}

TEST_CASE("the models file: names, aliases, and errors with file and line", "[record][finetune]") {
  auto shipped = record::ModelCatalog::load(std::string(AIRLOCK_SOURCE_DIR) + "/policies/models.yaml");
  REQUIRE(shipped.ok());
  auto gpt4o = shipped->find("gpt-4o");
  REQUIRE(gpt4o.ok());
  CHECK(gpt4o->name == "gpt-4o-2024-08-06");
  CHECK(gpt4o->training_usd_per_million == 25.0);
  CHECK(gpt4o->context_tokens == 65536);
  CHECK(shipped->find("gpt-3.5-turbo")->encoding == tokens::Encoding::kCl100kBase);
  CHECK(shipped->find(shipped->default_model()).ok());
  auto unknown = shipped->find("gpt-9");
  REQUIRE_FALSE(unknown.ok());
  CHECK_THAT(unknown.error().message, Catch::Contains("gpt-4o-mini"));

  test::TempDir dir;
  const std::vector<std::pair<std::string, std::string>> broken = {
      {"taken: x\ndefault: m\nmodels:\n  m:\n    encoding: p50k_base\n    training_usd_per_million_tokens: 1\n"
       "    context_tokens: 10\n    minimum_examples: 1\n",
       "models.yaml:5: model m: unknown encoding 'p50k_base'"},
      {"taken: x\ndefault: m\nmodels:\n  m:\n    encoding: o200k_base\n    training_usd_per_million_tokens: free\n"
       "    context_tokens: 10\n    minimum_examples: 1\n",
       "models.yaml:6: model m: 'training_usd_per_million_tokens' must be a number"},
      {"taken: x\ndefault: other\nmodels:\n  m:\n    encoding: o200k_base\n    training_usd_per_million_tokens: 1\n"
       "    context_tokens: 10\n    minimum_examples: 1\n",
       "models.yaml:2: the default model 'other' is not in 'models'"},
      {"taken: [x\n", "models.yaml:"},
  };
  for (const auto& [text, message] : broken) {
    test::write_file(dir / "models.yaml", text);
    auto loaded = record::ModelCatalog::load(dir / "models.yaml");
    INFO(text);
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error().exit_code() == 2);
    CHECK_THAT(loaded.error().message, Catch::Contains(message));
  }
}
