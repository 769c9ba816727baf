// Field selectors: presets for the common fine-tuning and batch formats, and
// JSON-pointer patterns with "*" wildcards.
#include <simdjson.h>

#include "record/record.h"

namespace airlock::record {
namespace {

// Pointers of each preset. Message content is a string or an array of
// parts ({"type": "text", "text": ...}); both shapes are listed.
const std::vector<std::string>& preset_pointers(Preset preset) {
  static const std::vector<std::string> kChat = {
      "/messages/*/content",
      "/messages/*/content/*/text",
      "/messages/*/tool_calls/*/function/arguments",
  };
  static const std::vector<std::string> kBatch = {
      "/body/messages/*/content",
      "/body/messages/*/content/*/text",
      "/body/messages/*/tool_calls/*/function/arguments",
      "/body/input",
      "/body/input/*",
      "/body/input/*/content",
      "/body/input/*/content/*/text",
      "/body/prompt",
      "/body/prompt/*",
  };
  static const std::vector<std::string> kPreference = {
      "/input/messages/*/content",       "/input/messages/*/content/*/text",
      "/preferred_output/*/content",     "/preferred_output/*/content/*/text",
      "/non_preferred_output/*/content", "/non_preferred_output/*/content/*/text",
  };
  static const std::vector<std::string> kNone;
  switch (preset) {
    case Preset::kChat:
      return kChat;
    case Preset::kBatch:
      return kBatch;
    case Preset::kPreference:
      return kPreference;
    default:
      return kNone;
  }
}

PointerStep make_step(const std::string& key) {
  PointerStep step;
  step.wildcard = key == "*";
  bool digits = !key.empty() && key.size() <= 18 && key.find_first_not_of("0123456789") == std::string::npos;
  step.is_index = digits && (key.size() == 1 || key[0] != '0');
  if (step.is_index) step.index = std::stoull(key);
  step.key = key;
  return step;
}

// Splits "/a/b~1c/*" into steps "a", "b/c", "*", undoing RFC 6901 escapes.
Result<std::vector<PointerStep>> split_pointer(std::string_view pointer) {
  if (pointer.empty() || pointer[0] != '/') {
    return usage_error("field selector '" + std::string(pointer) +
                       "': a JSON pointer must start with '/' (or name a preset: auto, chat, batch, "
                       "preference, text, all)");
  }
  std::vector<PointerStep> segments;
  std::string current;
  for (size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      segments.push_back(make_step(current));
      current.clear();
    } else if (pointer[i] == '~') {
      if (i + 1 < pointer.size() && (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
        current += pointer[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        return usage_error("field selector '" + std::string(pointer) + "': '~' must be followed by 0 or 1 (RFC 6901)");
      }
    } else {
      current += pointer[i];
    }
  }
  return segments;
}

}  // namespace

std::string_view preset_name(Preset preset) {
  switch (preset) {
    case Preset::kAuto:
      return "auto";
    case Preset::kChat:
      return "chat";
    case Preset::kBatch:
      return "batch";
    case Preset::kPreference:
      return "preference";
    case Preset::kText:
      return "text";
    case Preset::kAll:
      return "all";
    case Preset::kCustom:
      return "custom";
  }
  return "custom";
}

FieldSelector FieldSelector::for_preset(Preset preset) {
  FieldSelector selector;
  selector.preset_ = preset;
  selector.pointers_ = preset_pointers(preset);
  for (const std::string& pointer : selector.pointers_) {
    selector.steps_.push_back(split_pointer(pointer).value());
  }
  return selector;
}

Result<FieldSelector> FieldSelector::parse(std::string_view spec) {
  for (Preset preset :
       {Preset::kAuto, Preset::kChat, Preset::kBatch, Preset::kPreference, Preset::kText, Preset::kAll}) {
    if (spec == preset_name(preset)) return for_preset(preset);
  }
  FieldSelector selector;
  selector.preset_ = Preset::kCustom;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    if (comma == std::string_view::npos) comma = spec.size();
    std::string_view pointer = spec.substr(start, comma - start);
    Result<std::vector<PointerStep>> steps = split_pointer(pointer);
    if (!steps.ok()) return steps.error();
    selector.pointers_.emplace_back(pointer);
    selector.steps_.push_back(std::move(steps.value()));
    start = comma + 1;
  }
  // The decoder tracks live patterns in a 64-bit mask.
  if (selector.steps_.size() > 64) return usage_error("--fields: at most 64 pointers");
  return selector;
}

std::string FieldSelector::describe() const {
  std::string out(preset_name(preset_));
  if (preset_ == Preset::kText) return out + " (each line is plain text)";
  if (preset_ == Preset::kAll) return out + " (every string value)";
  if (pointers_.empty()) return out;
  out += " (";
  for (size_t i = 0; i < pointers_.size(); ++i) {
    if (i) out += ", ";
    out += pointers_[i];
  }
  return out + ")";
}

Preset detect_preset(std::string_view line) {
  size_t first = line.find_first_not_of(" \t\r");
  if (first == std::string_view::npos || line[first] != '{') return Preset::kText;
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(simdjson::padded_string(line)).get_object().get(object) != simdjson::SUCCESS) {
    return Preset::kAll;  // meant as JSON but broken: scan every string of the records that parse
  }
  auto has = [&](const char* key, simdjson::dom::element_type type) {
    simdjson::dom::element element;
    return object[key].get(element) == simdjson::SUCCESS && element.type() == type;
  };
  using T = simdjson::dom::element_type;
  if (has("messages", T::ARRAY)) return Preset::kChat;
  if (has("body", T::OBJECT)) return Preset::kBatch;
  if (has("input", T::OBJECT) && (has("preferred_output", T::ARRAY) || has("non_preferred_output", T::ARRAY))) {
    return Preset::kPreference;
  }
  return Preset::kAll;
}

}  // namespace airlock::record

namespace airlock::record {

Status check_cpu() {
#if defined(AIRLOCK_DECODER_AVX2)
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("bmi") || !__builtin_cpu_supports("pclmul")) {
    return usage_error(
        "this CPU lacks AVX2/BMI/PCLMUL, which this airlock build requires; rebuild with -DAIRLOCK_AVX2=OFF");
  }
#endif
  return ok_status();
}

}  // namespace airlock::record
