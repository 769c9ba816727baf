// Byte-pair merging of one piece, as tiktoken does it.
#include "tokens/bpe.h"

#include <functional>
#include <queue>

namespace airlock::tokens::internal {
namespace {
constexpr uint32_t kNone = Tokenizer::Ranks::kNone;
}  // namespace

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

}  // namespace airlock::tokens::internal
