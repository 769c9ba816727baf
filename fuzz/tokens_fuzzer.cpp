// Fuzzes tokenization of arbitrary bytes (invalid UTF-8 included) with both
// encodings: must never crash or hang, count() must agree with encode(), a
// non-empty text has tokens, and the two merge strategies must agree on the
// input taken as one piece.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "tokens/bpe.h"
#include "tokens/ranks.h"
#include "tokens/tokens.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace airlock::tokens;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (Encoding encoding : kEncodings) {
    const Tokenizer* tokenizer = Tokenizer::get(encoding).value();
    std::vector<uint32_t> ids;
    tokenizer->encode(text, ids);
    if (ids.size() != tokenizer->count(text)) std::abort();
    if (!text.empty() && ids.empty()) std::abort();
    static const auto* ranks = Tokenizer::Ranks::parse(encoding, embedded_rank_file(encoding)).value().release();
    if (size == 0 || size > 512) continue;
    std::vector<uint32_t> pairwise, heap;
    internal::merge_short(*ranks, text, pairwise);
    internal::merge_long(*ranks, text, heap);
    if (pairwise != heap) std::abort();
  }
  return 0;
}
