// Byte-pair encoding over the pre-tokenizer's pieces, as tiktoken does it.
#include <functional>
#include <mutex>
#include <queue>
#include <string>
#include <unordered_map>

#include "tokens/pretokenize.h"
#include "tokens/ranks.h"
#include "tokens/tokens.h"

namespace airlock::tokens {
namespace {

using Ranks = Tokenizer::Ranks;
constexpr uint32_t kNone = Ranks::kNone;

// Pieces longer than this merge with a heap (n log n) instead of tiktoken's
// rescan of every pair (n²): a hostile 16 MiB line of one letter is a single
// piece, and must not take hours.
constexpr size_t kLongPiece = 128;

// tiktoken's merge: repeatedly join the adjacent pair with the lowest rank,
// the leftmost on a tie, until no pair has a rank. parts[i] is (start of
// part i, rank of part i joined with part i + 1).
void merge_short(const Ranks& ranks, std::string_view piece, std::vector<uint32_t>& ids) {
  thread_local std::vector<std::pair<uint32_t, uint32_t>> parts;
  parts.clear();
  for (uint32_t i = 0; i <= piece.size(); ++i) parts.emplace_back(i, kNone);
  auto pair_rank = [&](size_t i) {
    if (i + 2 >= parts.size()) return kNone;
    return ranks.find(piece.substr(parts[i].first, parts[i + 2].first - parts[i].first));
  };
  for (size_t i = 0; i + 2 < parts.size(); ++i) parts[i].second = pair_rank(i);
  for (;;) {
    size_t best = 0;
    for (size_t i = 1; i + 1 < parts.size(); ++i) {
      if (parts[i].second < parts[best].second) best = i;
    }
    if (parts.size() < 2 || parts[best].second == kNone) break;
    parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    parts[best].second = pair_rank(best);
    if (best > 0) parts[best - 1].second = pair_rank(best - 1);
  }
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    ids.push_back(ranks.find(piece.substr(parts[i].first, parts[i + 1].first - parts[i].first)));
  }
}

// The same merges in the same order, with a linked list of parts and a heap
// of candidate pairs keyed (rank, start): the lowest rank, leftmost first.
// A heap entry is stale when its part is gone or has since changed rank (a
// part only grows, and a rank names one byte string, so an equal rank means
// the same pair).
void merge_long(const Ranks& ranks, std::string_view piece, std::vector<uint32_t>& ids) {
  size_t n = piece.size();
  std::vector<uint32_t> next(n), prev(n), rank(n, kNone);
  std::vector<bool> alive(n, true);
  using Candidate = std::pair<uint32_t, uint32_t>;
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  for (uint32_t i = 0; i < n; ++i) {
    next[i] = i + 1;
    prev[i] = i == 0 ? kNone : i - 1;
  }
  auto update = [&](uint32_t i) {
    uint32_t second = next[i];
    rank[i] = second < n ? ranks.find(piece.substr(i, next[second] - i)) : kNone;
    if (rank[i] != kNone) heap.emplace(rank[i], i);
  };
  for (uint32_t i = 0; i < n; ++i) update(i);
  while (!heap.empty()) {
    auto [r, i] = heap.top();
    heap.pop();
    if (!alive[i] || rank[i] != r) continue;
    uint32_t gone = next[i];
    alive[gone] = false;
    next[i] = next[gone];
    if (next[i] < n) prev[next[i]] = i;
    update(i);
    if (prev[i] != kNone) update(prev[i]);
  }
  for (uint32_t i = 0; i < n; i = next[i]) ids.push_back(ranks.find(piece.substr(i, next[i] - i)));
}

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
    entries_.emplace(std::string(piece), std::pair<uint32_t, uint32_t>(static_cast<uint32_t>(ids_.size()), static_cast<uint32_t>(count)));
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
