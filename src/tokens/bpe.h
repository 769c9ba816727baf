// Byte-pair merging of one pre-tokenizer piece (internal to src/tokens).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "tokens/ranks.h"

namespace airlock::tokens::internal {

using Ranks = Tokenizer::Ranks;

// Pieces longer than this merge with merge_long (n log n) instead of
// tiktoken's rescan of every pair (n²): a hostile 16 MiB line of one letter
// is a single piece, and must not take hours.
inline constexpr size_t kLongPiece = 128;

// Both append the ids of `piece` to `ids`, and give the same ids: tiktoken's
// merge order (lowest rank first, leftmost on a tie). merge_short rescans the
// pairs after each merge; merge_long keeps them in a heap.
void merge_short(const Ranks& ranks, std::string_view piece, std::vector<uint32_t>& ids);
void merge_long(const Ranks& ranks, std::string_view piece, std::vector<uint32_t>& ids);

}  // namespace airlock::tokens::internal
