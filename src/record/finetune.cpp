// Fine-tuning file checks: OpenAI's chat and preference (DPO) formats, and
// Batch API request files.
#include "record/finetune.h"

#include <simdjson.h>

#include <functional>

#include "record/record.h"

namespace airlock::record {
namespace {

namespace dom = simdjson::dom;
using Report = std::function<void(const char* kind)>;

const std::set<std::string_view> kChatKeys = {"messages", "tools", "parallel_tool_calls", "functions"};
const std::set<std::string_view> kPreferenceKeys = {"input", "preferred_output", "non_preferred_output"};
const std::set<std::string_view> kPreferenceInputKeys = {"messages", "tools", "parallel_tool_calls"};
const std::set<std::string_view> kBatchKeys = {"custom_id", "method", "url", "body"};
const std::set<std::string_view> kBatchUrls = {"/v1/chat/completions", "/v1/embeddings", "/v1/completions",
                                               "/v1/responses"};
const std::set<std::string_view> kMessageKeys = {"role",       "content",      "name",          "weight",
                                                 "tool_calls", "tool_call_id", "function_call", "refusal"};
const std::set<std::string_view> kRoles = {"system", "developer", "user", "assistant", "tool", "function"};
const std::set<std::string_view> kContentPartTypes = {"text", "image_url", "input_audio"};

// One message's text as OpenAI's cookbook counts it: the role, the name and
// the content (here also tool calls' names and arguments, which the model
// reads and writes as text).
struct CountedMessage {
  std::string_view role;
  std::string_view name;
  std::vector<std::string_view> texts;
  bool trained = false;  // an assistant message the job learns from (weight 1)
};

// Two independent 64-bit hashes: duplicate lines are only a warning, and a
// collision of both is far beyond any file's size.
std::string line_digest(std::string_view line) {
  uint64_t fnv = 1469598103934665603ull;
  for (unsigned char c : line) fnv = (fnv ^ c) * 1099511628211ull;
  uint64_t other = std::hash<std::string_view>{}(line);
  return std::string(reinterpret_cast<const char*>(&fnv), 8) + std::string(reinterpret_cast<const char*>(&other), 8);
}

bool is_string(dom::element e) { return e.type() == dom::element_type::STRING; }

bool has_only_keys(dom::object object, const std::set<std::string_view>& allowed) {
  for (auto field : object) {
    if (!allowed.count(field.key)) return false;
  }
  return true;
}

// tool_calls: [{"id": "...", "type": "function", "function": {"name": "...", "arguments": "..."}}]
bool valid_tool_calls(dom::element calls) {
  dom::array array;
  if (calls.get_array().get(array) || array.size() == 0) return false;
  for (dom::element call : array) {
    std::string_view type;
    dom::element function, name, arguments, id;
    if (call["id"].get(id) || !is_string(id) || call["type"].get_string().get(type) || type != "function" ||
        call["function"].get(function) || function["name"].get(name) || !is_string(name) ||
        function["arguments"].get(arguments) || !is_string(arguments)) {
      return false;
    }
  }
  return true;
}

// tools: [{"type": "function", "function": {"name": "...", ...}}]
bool valid_tools(dom::element tools) {
  dom::array array;
  if (tools.get_array().get(array)) return false;
  for (dom::element tool : array) {
    std::string_view type;
    dom::element function, name;
    if (tool["type"].get_string().get(type) || type != "function" || tool["function"].get(function) ||
        function["name"].get(name) || !is_string(name)) {
      return false;
    }
  }
  return true;
}

// The texts a model reads in a content value: a string, or the text parts
// of an array of parts.
void collect_content(dom::element content, const Report& report, CountedMessage& counted) {
  std::string_view text;
  if (!content.get_string().get(text)) return counted.texts.push_back(text);
  for (dom::element part : dom::array(content)) {
    std::string_view type;
    if (part["type"].get_string().get(type) || !kContentPartTypes.count(type)) return report("bad_content_part");
    if (type == "text" && !part["text"].get_string().get(text)) counted.texts.push_back(text);
  }
}

void collect_tool_calls(dom::element tool_calls, CountedMessage& counted) {
  for (dom::element call : dom::array(tool_calls)) {
    std::string_view name, arguments;
    if (!call["function"]["name"].get_string().get(name)) counted.texts.push_back(name);
    if (!call["function"]["arguments"].get_string().get(arguments)) counted.texts.push_back(arguments);
  }
}

// Checks one message and records its text; `training` says whether
// assistant messages are trained on (not in a Batch request).
void check_message(dom::element message, const Report& report, bool training, std::vector<CountedMessage>& out,
                   bool& has_assistant) {
  dom::object object;
  if (message.get_object().get(object)) return report("message_not_object");
  if (!has_only_keys(object, kMessageKeys)) report("unrecognized_message_key");
  CountedMessage counted;
  if (object["role"].get_string().get(counted.role)) return report("message_missing_role");
  if (!kRoles.count(counted.role)) report("unknown_role");
  bool assistant = counted.role == "assistant";
  has_assistant = has_assistant || assistant;
  dom::element tool_calls;
  bool has_tool_calls = !object["tool_calls"].get(tool_calls) && tool_calls.type() != dom::element_type::NULL_VALUE;
  if (has_tool_calls && (!assistant || !valid_tool_calls(tool_calls))) {
    report("bad_tool_calls");
  } else if (has_tool_calls) {
    collect_tool_calls(tool_calls, counted);
  }
  dom::element content;
  bool content_missing = object["content"].get(content) || content.type() == dom::element_type::NULL_VALUE;
  bool may_omit_content = assistant && (has_tool_calls || object["function_call"].error() == simdjson::SUCCESS);
  if (content_missing && !may_omit_content) {
    report("message_missing_content");
  } else if (!content_missing && content.type() != dom::element_type::STRING &&
             content.type() != dom::element_type::ARRAY) {
    report("message_missing_content");
  } else if (!content_missing) {
    collect_content(content, report, counted);
  }
  if (object["name"].get_string().get(counted.name)) counted.name = {};
  dom::element weight;
  int64_t weight_value = 1;
  if (!object["weight"].get(weight)) {
    bool zero_or_one = !weight.get_int64().get(weight_value) && (weight_value == 0 || weight_value == 1);
    if (!zero_or_one || !assistant) report("bad_weight");
  }
  counted.trained = training && assistant && weight_value == 1;
  out.push_back(std::move(counted));
}

// Checks a messages array; false when it is not a non-empty array (the
// caller reports that in its own terms).
bool check_messages(dom::element value, const Report& report, bool training, std::vector<CountedMessage>& out,
                    bool& has_assistant) {
  dom::array messages;
  if (value.get_array().get(messages) || messages.size() == 0) return false;
  for (dom::element message : messages) check_message(message, report, training, out, has_assistant);
  return true;
}

}  // namespace

struct FineTuneChecker::Example {
  std::vector<CountedMessage> messages;
  std::vector<std::string> extra;       // tool definitions as JSON: counted in the total only
  std::vector<std::string_view> plain;  // text without message overhead (embedding inputs, prompts)
  bool prime_reply = false;             // a chat example: +3 tokens priming the reply
};

namespace {

using Example = FineTuneChecker::Example;

void check_tools(dom::object record, const Report& report, Example& example) {
  dom::element tools;
  if (record["tools"].get(tools)) return;
  if (!valid_tools(tools)) return report("bad_tools");
  example.extra.push_back(simdjson::minify(tools));
}

// {"messages": [...], "tools": [...]}
void check_chat(dom::object record, const Report& report, Example& example) {
  if (!has_only_keys(record, kChatKeys)) report("unrecognized_key");
  check_tools(record, report, example);
  dom::element messages;
  bool has_assistant = false;
  if (record["messages"].get(messages) || !check_messages(messages, report, true, example.messages, has_assistant)) {
    return report("missing_messages");
  }
  if (!has_assistant) report("no_assistant_message");
  example.prime_reply = true;
}

// preferred_output and non_preferred_output: exactly one assistant message.
void check_output(dom::object record, const char* key, const char* kind, const Report& report, Example& example) {
  dom::array output;
  if (record[key].get_array().get(output) || output.size() != 1) return report(kind);
  bool has_assistant = false;
  size_t before = example.messages.size();
  for (dom::element message : output) check_message(message, report, true, example.messages, has_assistant);
  if (!has_assistant || example.messages.size() == before) report(kind);
}

// {"input": {"messages": [...]}, "preferred_output": [...], "non_preferred_output": [...]}
void check_preference(dom::object record, const Report& report, Example& example) {
  if (!has_only_keys(record, kPreferenceKeys)) report("unrecognized_key");
  dom::object input;
  dom::element messages;
  bool has_assistant = false;
  if (record["input"].get_object().get(input) || input["messages"].get(messages) ||
      !check_messages(messages, report, false, example.messages, has_assistant)) {
    report("missing_input");
  } else {
    if (!has_only_keys(input, kPreferenceInputKeys)) report("unrecognized_key");
    check_tools(input, report, example);
  }
  check_output(record, "preferred_output", "bad_preferred_output", report, example);
  check_output(record, "non_preferred_output", "bad_non_preferred_output", report, example);
  example.prime_reply = true;
}

// The body of a Batch API request, by endpoint: what the model will read.
void check_batch_body(std::string_view url, dom::object body, const Report& report, Example& example) {
  std::string_view model;
  if (body["model"].get_string().get(model)) return report("bad_body");
  bool has_assistant = false;
  if (url == "/v1/chat/completions") {
    dom::element messages;
    if (body["messages"].get(messages) || !check_messages(messages, report, false, example.messages, has_assistant)) {
      return report("bad_body");
    }
    example.prime_reply = true;
    return;
  }
  dom::element input;
  std::string_view text;
  const char* key = url == "/v1/completions" ? "prompt" : "input";
  if (body[key].get(input)) return report("bad_body");
  if (!input.get_string().get(text)) return example.plain.push_back(text);
  if (url == "/v1/responses" && check_messages(input, report, false, example.messages, has_assistant)) return;
  dom::array items;
  if (input.get_array().get(items) || items.size() == 0) return report("bad_body");
  for (dom::element item : items) {
    if (item.get_string().get(text)) return report("bad_body");
    example.plain.push_back(text);
  }
}

// {"custom_id": "...", "method": "POST", "url": "/v1/chat/completions", "body": {...}}
void check_batch(dom::object record, const Report& report, std::set<std::string, std::less<>>& custom_ids,
                 Example& example) {
  if (!has_only_keys(record, kBatchKeys)) report("unrecognized_key");
  std::string_view custom_id, method, url;
  if (record["custom_id"].get_string().get(custom_id) || custom_id.empty()) {
    report("missing_custom_id");
  } else if (!custom_ids.emplace(custom_id).second) {
    report("duplicate_custom_id");
  }
  if (record["method"].get_string().get(method) || method != "POST") report("bad_method");
  if (record["url"].get_string().get(url) || !kBatchUrls.count(url)) return report("bad_url");
  dom::object body;
  if (record["body"].get_object().get(body)) return report("bad_body");
  check_batch_body(url, body, report, example);
}

// The tokens of one example under `tokenizer`, as OpenAI's cookbook counts a
// chat: per message 3 + role + content (+ 1 + name), plus 3 priming the reply.
uint64_t example_tokens(const tokens::Tokenizer& tokenizer, const Example& example, uint64_t& content,
                        uint64_t& trained) {
  uint64_t total = example.prime_reply ? tokens::kTokensReplyPriming : 0;
  for (const CountedMessage& message : example.messages) {
    uint64_t text = 0;
    for (std::string_view piece : message.texts) text += tokenizer.count(piece);
    content += text;
    if (message.trained) trained += text;
    total += tokens::kTokensPerMessage + tokenizer.count(message.role) + text;
    if (!message.name.empty()) total += tokens::kTokensPerName + tokenizer.count(message.name);
  }
  for (std::string_view text : example.plain) {
    uint64_t count = tokenizer.count(text);
    content += count;
    total += count;
  }
  for (const std::string& json : example.extra) total += tokenizer.count(json);
  return total;
}

// --format auto: the first record's keys decide for the whole file, as one
// file goes to one endpoint.
FineTuneFormat detect_format(dom::object record) {
  dom::element ignored;
  if (!record["preferred_output"].get(ignored) || !record["non_preferred_output"].get(ignored)) {
    return FineTuneFormat::kPreference;
  }
  if (!record["custom_id"].get(ignored) || !record["body"].get(ignored)) return FineTuneFormat::kBatch;
  return FineTuneFormat::kChat;
}

}  // namespace

const std::vector<std::string_view> kFineTuneErrorKinds = {"invalid_json",
                                                           "invalid_utf8",
                                                           "not_object",
                                                           "unrecognized_key",
                                                           "missing_messages",
                                                           "message_not_object",
                                                           "unrecognized_message_key",
                                                           "message_missing_role",
                                                           "unknown_role",
                                                           "message_missing_content",
                                                           "bad_content_part",
                                                           "bad_tool_calls",
                                                           "bad_tools",
                                                           "bad_weight",
                                                           "no_assistant_message",
                                                           "missing_input",
                                                           "bad_preferred_output",
                                                           "bad_non_preferred_output",
                                                           "missing_custom_id",
                                                           "duplicate_custom_id",
                                                           "bad_method",
                                                           "bad_url",
                                                           "bad_body",
                                                           "too_many_requests",
                                                           "too_many_tokens",
                                                           "too_few_examples",
                                                           "too_large"};

std::string_view format_name(FineTuneFormat format) {
  switch (format) {
    case FineTuneFormat::kAuto:
      return "auto";
    case FineTuneFormat::kChat:
      return "chat";
    case FineTuneFormat::kPreference:
      return "preference";
    case FineTuneFormat::kBatch:
      return "batch";
  }
  return "chat";
}

Result<FineTuneFormat> format_from_name(std::string_view name) {
  for (auto format :
       {FineTuneFormat::kAuto, FineTuneFormat::kChat, FineTuneFormat::kPreference, FineTuneFormat::kBatch}) {
    if (format_name(format) == name) return format;
  }
  return usage_error("unknown format '" + std::string(name) + "' (known: chat, preference, batch, auto)");
}

FineTuneChecker::FineTuneChecker(FineTuneOptions options) : options_(std::move(options)) {}

void FineTuneChecker::error(const std::string& kind, uint64_t line) {
  line_failed_ = true;
  FineTuneIssue& issue = errors_[kind];
  ++issue.count;
  if (issue.first_lines.size() < kFirstLines) issue.first_lines.push_back(line);
}

void FineTuneChecker::warning(const std::string& kind, uint64_t line) {
  FineTuneIssue& issue = warnings_[kind];
  ++issue.count;
  if (issue.first_lines.size() < kFirstLines) issue.first_lines.push_back(line);
}

void FineTuneChecker::add_line(std::string_view line, uint64_t line_number) {
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;
  ++examples_;
  line_failed_ = false;
  if (options_.format == FineTuneFormat::kBatch && examples_ == kMaximumBatchRequests + 1) {
    error("too_many_requests", line_number);
  }
  if (!is_valid_utf8(line)) return error("invalid_utf8", line_number);
  thread_local dom::parser parser;
  dom::element root;
  if (parser.parse(line.data(), line.size()).get(root)) return error("invalid_json", line_number);
  dom::object record;
  if (root.get_object().get(record)) return error("not_object", line_number);
  if (!seen_digests_.insert(line_digest(line)).second) warning("duplicate", line_number);
  if (options_.format == FineTuneFormat::kAuto) options_.format = detect_format(record);

  Report report = [&](const char* kind) { error(kind, line_number); };
  Example example;
  switch (options_.format) {
    case FineTuneFormat::kPreference:
      check_preference(record, report, example);
      break;
    case FineTuneFormat::kBatch:
      check_batch(record, report, seen_custom_ids_, example);
      break;
    default:
      check_chat(record, report, example);
      break;
  }
  if (!line_failed_) count_tokens(example, line_number);
}

// Counts under every encoding (docs/formats.md shows both); the model's own
// encoding decides whether the example fits its context.
void FineTuneChecker::count_tokens(const Example& example, uint64_t line) {
  if (!options_.model) return;
  for (tokens::Encoding encoding : tokens::kEncodings) {
    Result<const tokens::Tokenizer*> tokenizer = tokens::Tokenizer::get(encoding);
    if (!tokenizer.ok()) continue;  // the CLI loads both before reading and reports a failure
    TokenTotals& totals = tokens_[encoding];
    uint64_t total = example_tokens(*tokenizer.value(), example, totals.content, totals.trained);
    totals.total += total;
    totals.per_example.push_back(total);
    // The context limit is the training one: a Batch request is inference.
    bool training = options_.format != FineTuneFormat::kBatch;
    bool own = encoding == options_.model->encoding;
    if (training && own && total > options_.model->context_tokens) {
      error("too_many_tokens", line);
    }
  }
}

void FineTuneChecker::add_oversize_line(uint64_t line_number) {
  ++examples_;
  error("too_large", line_number);
}

uint64_t FineTuneChecker::minimum_examples() const {
  if (options_.format == FineTuneFormat::kBatch) return 0;
  return options_.model ? options_.model->minimum_examples : kMinimumExamples;
}

void FineTuneChecker::finish() {
  if (examples_ < minimum_examples()) {
    FineTuneIssue& issue = errors_["too_few_examples"];
    issue.count = 1;
  }
}

}  // namespace airlock::record
