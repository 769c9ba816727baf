// Byte-pair encoding over the pre-tokenizer's pieces, as tiktoken does it.
#include <mutex>
#include <string>
#include <unordered_map>

#include "tokens/bpe.h"
#include "tokens/pretokenize.h"
#include "tokens/ranks.h"
#include "tokens/tokens.h"

namespace airlock::tokens {
namespace {

using Ranks = Tokenizer::Ranks;
using internal::kLongPiece;
using internal::merge_long;
using internal::merge_short;
constexpr uint32_t kNone = Ranks::kNone;

// Pieces that take more than one token repeat (rare words, identifiers,
// runs of CJK), and merging is most of the cost, so each thread keeps the
// ids of the pieces it merged, up to a bound; then it starts afresh.
class PieceCache {
 public:
  static constexpr size_t kMaxEntries = 1 << 15;
  static constexpr size_t kMaxPieceBytes = 64;

  // The cached ids of `piece`, or nullptr.
  const uint32_t* find(std::string_view piece, size_t& count) const {
    auto found = entries_.find(piece);
    if (found == entries_.end()) return nullptr;
    count = found->second.second;
    return ids_.data() + found->second.first;
  }
  void add(std::string_view piece, const uint32_t* ids, size_t count) {
    if (entries_.size() >= kMaxEntries) {
      entries_.clear();
      ids_.clear();
    }
    entries_.emplace(std::string(piece),
                     std::pair<uint32_t, uint32_t>(static_cast<uint32_t>(ids_.size()), static_cast<uint32_t>(count)));
    ids_.insert(ids_.end(), ids, ids + count);
  }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::pair<uint32_t, uint32_t>, Hash, std::equal_to<>> entries_;
  std::vector<uint32_t> ids_;
};

void encode_piece(const Ranks& ranks, PieceCache& cache, std::string_view piece, std::vector<uint32_t>& ids) {
  uint32_t whole = ranks.find(piece);
  if (whole != kNone) return ids.push_back(whole);
  if (piece.size() > kLongPiece) return merge_long(ranks, piece, ids);
  bool cacheable = piece.size() <= PieceCache::kMaxPieceBytes;
  size_t count = 0;
  if (const uint32_t* cached = cacheable ? cache.find(piece, count) : nullptr) {
    ids.insert(ids.end(), cached, cached + count);
    return;
  }
  size_t before = ids.size();
  merge_short(ranks, piece, ids);
  if (cacheable) cache.add(piece, ids.data() + before, ids.size() - before);
}

PieceCache& piece_cache(Encoding encoding) {
  thread_local PieceCache caches[std::size(kEncodings)];
  return caches[static_cast<size_t>(encoding)];
}

internal::PreTokenizer& pre_tokenizer(Encoding encoding) {
  thread_local internal::PreTokenizer o200k(Encoding::kO200kBase), cl100k(Encoding::kCl100kBase);
  return encoding == Encoding::kO200kBase ? o200k : cl100k;
}

}  // namespace

std::string_view encoding_name(Encoding encoding) {
  return encoding == Encoding::kO200kBase ? "o200k_base" : "cl100k_base";
}

Result<Encoding> encoding_from_name(std::string_view name) {
  for (Encoding encoding : kEncodings) {
    if (encoding_name(encoding) == name) return encoding;
  }
  return usage_error("unknown encoding '" + std::string(name) + "' (known: o200k_base, cl100k_base)");
}

Tokenizer::Tokenizer(Encoding encoding, std::unique_ptr<const Ranks> ranks)
    : encoding_(encoding), ranks_(std::move(ranks)) {}
Tokenizer::~Tokenizer() = default;

Result<const Tokenizer*> Tokenizer::get(Encoding encoding) {
  struct Slot {
    std::once_flag once;
    std::unique_ptr<Tokenizer> tokenizer;
    Error error;
  };
  static Slot slots[std::size(kEncodings)];
  Slot& slot = slots[static_cast<size_t>(encoding)];
  std::call_once(slot.once, [&] {
    auto ranks = Ranks::parse(encoding, embedded_rank_file(encoding));
    if (!ranks.ok()) {
      slot.error = ranks.error();
      return;
    }
    slot.tokenizer = std::make_unique<Tokenizer>(encoding, std::move(ranks).value());
  });
  if (!slot.tokenizer) return slot.error;
  return static_cast<const Tokenizer*>(slot.tokenizer.get());
}

void Tokenizer::encode(std::string_view utf8, std::vector<uint32_t>& ids) const {
  PieceCache& cache = piece_cache(encoding_);
  pre_tokenizer(encoding_).split(utf8, [&](std::string_view piece) { encode_piece(*ranks_, cache, piece, ids); });
}

uint64_t Tokenizer::count(std::string_view utf8) const {
  thread_local std::vector<uint32_t> scratch;
  uint64_t total = 0;
  PieceCache& cache = piece_cache(encoding_);
  pre_tokenizer(encoding_).split(utf8, [&](std::string_view piece) {
    scratch.clear();
    encode_piece(*ranks_, cache, piece, scratch);
    total += scratch.size();
  });
  return total;
}

}  // namespace airlock::tokens
