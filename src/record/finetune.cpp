// Fine-tuning file checks (OpenAI chat format).
#include "record/finetune.h"

#include <simdjson.h>

#include <functional>

#include "record/record.h"

namespace airlock::record {
namespace {

namespace dom = simdjson::dom;

const std::set<std::string_view> kTopLevelKeys = {"messages", "tools", "parallel_tool_calls", "functions"};
const std::set<std::string_view> kMessageKeys = {"role",       "content",      "name",          "weight",
                                                 "tool_calls", "tool_call_id", "function_call", "refusal"};
const std::set<std::string_view> kRoles = {"system", "developer", "user", "assistant", "tool", "function"};
const std::set<std::string_view> kContentPartTypes = {"text", "image_url", "input_audio"};

// Two independent 64-bit hashes: duplicate lines are only a warning, and a
// collision of both is far beyond any file's size.
std::string line_digest(std::string_view line) {
  uint64_t fnv = 1469598103934665603ull;
  for (unsigned char c : line) fnv = (fnv ^ c) * 1099511628211ull;
  uint64_t other = std::hash<std::string_view>{}(line);
  return std::string(reinterpret_cast<const char*>(&fnv), 8) + std::string(reinterpret_cast<const char*>(&other), 8);
}

bool is_string(dom::element e) { return e.type() == dom::element_type::STRING; }

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

}  // namespace

void FineTuneChecker::error(const std::string& kind, uint64_t line) {
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
  if (!is_valid_utf8(line)) return error("invalid_utf8", line_number);
  thread_local dom::parser parser;
  dom::element root;
  if (parser.parse(line.data(), line.size()).get(root)) return error("invalid_json", line_number);
  dom::object record;
  if (root.get_object().get(record)) return error("not_object", line_number);
  if (!seen_digests_.insert(line_digest(line)).second) warning("duplicate", line_number);

  for (auto field : record) {
    if (!kTopLevelKeys.count(field.key)) {
      error("unrecognized_key", line_number);
      break;
    }
  }
  dom::element tools;
  if (!record["tools"].get(tools) && !valid_tools(tools)) error("bad_tools", line_number);
  dom::array messages;
  if (record["messages"].get_array().get(messages) || messages.size() == 0) {
    return error("missing_messages", line_number);
  }
  bool has_assistant = false;
  for (dom::element message : messages) {
    dom::object object;
    if (message.get_object().get(object)) {
      error("message_not_object", line_number);
      continue;
    }
    for (auto field : object) {
      if (!kMessageKeys.count(field.key)) {
        error("unrecognized_message_key", line_number);
        break;
      }
    }
    std::string_view role;
    if (object["role"].get_string().get(role)) {
      error("message_missing_role", line_number);
      continue;
    }
    if (!kRoles.count(role)) error("unknown_role", line_number);
    bool assistant = role == "assistant";
    has_assistant = has_assistant || assistant;
    dom::element tool_calls;
    bool has_tool_calls = !object["tool_calls"].get(tool_calls) && tool_calls.type() != dom::element_type::NULL_VALUE;
    if (has_tool_calls && (!assistant || !valid_tool_calls(tool_calls))) error("bad_tool_calls", line_number);
    dom::element content;
    bool content_missing = object["content"].get(content) || content.type() == dom::element_type::NULL_VALUE;
    if (content_missing && !(assistant && (has_tool_calls || object["function_call"].error() == simdjson::SUCCESS))) {
      error("message_missing_content", line_number);
    } else if (!content_missing && content.type() == dom::element_type::ARRAY) {
      for (dom::element part : dom::array(content)) {
        std::string_view type;
        if (part["type"].get_string().get(type) || !kContentPartTypes.count(type)) {
          error("bad_content_part", line_number);
          break;
        }
      }
    } else if (!content_missing && content.type() != dom::element_type::STRING) {
      error("message_missing_content", line_number);
    }
    dom::element weight;
    if (!object["weight"].get(weight)) {
      int64_t value = -1;
      bool zero_or_one = !weight.get_int64().get(value) && (value == 0 || value == 1);
      if (!zero_or_one || !assistant) error("bad_weight", line_number);
    }
  }
  if (!has_assistant) error("no_assistant_message", line_number);
}

void FineTuneChecker::add_oversize_line(uint64_t line_number) {
  ++examples_;
  error("too_large", line_number);
}

void FineTuneChecker::finish() {
  if (examples_ < kMinimumExamples) {
    FineTuneIssue& issue = errors_["too_few_examples"];
    issue.count = 1;
  }
}

std::string FineTuneChecker::report_text() const {
  std::string out = std::to_string(examples_) + " examples: " +
                    (accepted() ? "the file would be accepted" : "the file would be REJECTED") + "\n";
  auto list = [&](const char* what, const std::map<std::string, FineTuneIssue>& issues) {
    for (const auto& [kind, issue] : issues) {
      out += std::string("  ") + what + " " + kind + ": " + std::to_string(issue.count);
      if (!issue.first_lines.empty()) {
        out += " (lines";
        for (uint64_t line : issue.first_lines) out += " " + std::to_string(line);
        out += issue.count > issue.first_lines.size() ? " …)" : ")";
      }
      if (kind == "too_few_examples") out += " (at least " + std::to_string(kMinimumExamples) + " are needed)";
      out += "\n";
    }
  };
  list("error", errors_);
  list("warning", warnings_);
  return out;
}

std::string FineTuneChecker::report_json() const {
  std::string out = "{\"examples\":" + std::to_string(examples_) + ",\"accepted\":" + (accepted() ? "true" : "false");
  auto list = [&](const char* name, const std::map<std::string, FineTuneIssue>& issues) {
    out += std::string(",\"") + name + "\":{";
    bool first = true;
    for (const auto& [kind, issue] : issues) {
      out += (first ? "\"" : ",\"") + kind + "\":{\"count\":" + std::to_string(issue.count) + ",\"first_lines\":[";
      for (size_t i = 0; i < issue.first_lines.size(); ++i) out += (i ? "," : "") + std::to_string(issue.first_lines[i]);
      out += "]}";
      first = false;
    }
    out += "}";
  };
  list("errors", errors_);
  list("warnings", warnings_);
  return out + "}\n";
}

}  // namespace airlock::record
