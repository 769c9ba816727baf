// Fuzzes the decoding of one JSONL line: every selector mode, both decode
// modes, and splicing a replacement into every field found. Must never
// crash, and the two modes must agree on whether the line is accepted.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "record/record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using airlock::record::Decoder;
  static const airlock::record::FieldSelector selectors[] = {
      airlock::record::FieldSelector::parse("chat").value(), airlock::record::FieldSelector::parse("all").value(),
      airlock::record::FieldSelector::parse("text").value(),
      airlock::record::FieldSelector::parse("/a/*/b,/messages/0").value()};
  static Decoder decoder;
  std::string line(reinterpret_cast<const char*>(data), size);
  line.append(airlock::record::kReadPadding, ' ');
  std::string_view view(line.data(), size);
  for (const auto& selector : selectors) {
    std::vector<airlock::record::TextField> fields;
    airlock::record::Problem problem;
    bool quick = decoder.decode(view, selector, fields, problem, Decoder::Mode::kValidateOnly);
    bool full = decoder.decode(view, selector, fields, problem, Decoder::Mode::kFields);
    if (quick != full) std::abort();
    if (!full) continue;
    for (auto& field : fields) {
      field.replaced = true;
      field.replacement = "[X]";
    }
    std::string out;
    airlock::record::splice(view, !selector.is_text(), fields, out);
  }
  return 0;
}
