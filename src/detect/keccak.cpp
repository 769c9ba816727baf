// Keccak-f[1600] and the 256-bit sponge (rate 136 bytes), after FIPS 202.
#include "detect/keccak.h"

#include <bit>
#include <cstring>

namespace airlock::detect {
namespace {

constexpr int kRounds = 24;
constexpr size_t kRateBytes = 136;  // 1600 bits of state minus 2 * 256 bits of capacity

constexpr uint64_t kRoundConstants[kRounds] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL, 0x000000000000808bULL,
    0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008aULL, 0x0000000000000088ULL,
    0x0000000080008009ULL, 0x000000008000000aULL, 0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL,
    0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

// The rho rotations and pi lane order, walked along pi's single cycle through the 24 lanes
// other than (0, 0), starting at lane 1.
constexpr int kRhoOffsets[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                                 27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
constexpr int kPiLanes[24] = {10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1};

using State = std::array<uint64_t, 25>;  // lane (x, y) at index x + 5 * y

void keccak_f1600(State& a) {
  for (int round = 0; round < kRounds; ++round) {
    uint64_t column[5];
    for (int x = 0; x < 5; ++x) column[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    for (int x = 0; x < 5; ++x) {
      uint64_t d = column[(x + 4) % 5] ^ std::rotl(column[(x + 1) % 5], 1);
      for (int y = 0; y < 25; y += 5) a[y + x] ^= d;
    }
    uint64_t carried = a[1];
    for (int i = 0; i < 24; ++i) {
      uint64_t next = a[kPiLanes[i]];
      a[kPiLanes[i]] = std::rotl(carried, kRhoOffsets[i]);
      carried = next;
    }
    for (int y = 0; y < 25; y += 5) {
      uint64_t row[5];
      for (int x = 0; x < 5; ++x) row[x] = a[y + x];
      for (int x = 0; x < 5; ++x) a[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
    }
    a[0] ^= kRoundConstants[round];
  }
}

// Lanes are little-endian whatever the host: XOR bytes in one at a time.
void absorb_block(State& state, const uint8_t* block) {
  for (size_t i = 0; i < kRateBytes; ++i) state[i / 8] ^= uint64_t{block[i]} << (8 * (i % 8));
  keccak_f1600(state);
}

Digest256 sponge256(std::string_view data, uint8_t domain_bits) {
  State state{};
  const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
  size_t remaining = data.size();
  for (; remaining >= kRateBytes; remaining -= kRateBytes, bytes += kRateBytes) absorb_block(state, bytes);
  uint8_t last[kRateBytes] = {};
  if (remaining > 0) std::memcpy(last, bytes, remaining);
  last[remaining] ^= domain_bits;
  last[kRateBytes - 1] ^= 0x80;
  absorb_block(state, last);
  Digest256 digest;
  for (size_t i = 0; i < digest.size(); ++i) digest[i] = static_cast<uint8_t>(state[i / 8] >> (8 * (i % 8)));
  return digest;
}

}  // namespace

Digest256 keccak256(std::string_view data) { return sponge256(data, 0x01); }
Digest256 sha3_256(std::string_view data) { return sponge256(data, 0x06); }

}  // namespace airlock::detect
