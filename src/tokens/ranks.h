// The byte-string → rank table of an encoding, parsed from js-tiktoken's
// rank file embedded in the binary (internal to src/tokens).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "tokens/tokens.h"

namespace airlock::tokens {

struct Tokenizer::Ranks {
  static constexpr uint32_t kNone = UINT32_MAX;

  // Parses js-tiktoken's `{"pat_str": .., "bpe_ranks": "! OFFSET B64 B64 .."}`
  // and checks it is the encoding this code was written for: the same
  // pre-tokenizer pattern and the same number of ranks.
  static Result<std::unique_ptr<const Ranks>> parse(Encoding encoding, std::string_view file);

  // The rank of `bytes`, or kNone. Open addressing over one array: the
  // lookup BPE makes for every candidate pair, so it avoids std::string keys.
  uint32_t find(std::string_view bytes) const;

 private:
  struct Slot {
    uint32_t offset = 0;  // into arena
    uint32_t rank = kNone;
    uint32_t length = 0;  // 0: empty slot
  };
  bool insert(std::string_view bytes, uint32_t rank);

  std::string arena;  // every token's bytes, back to back
  std::vector<Slot> slots;
  size_t mask = 0;
};

// The rank file of `encoding` as embedded at build time (embedded_ranks.cpp).
std::string_view embedded_rank_file(Encoding encoding);

}  // namespace airlock::tokens
