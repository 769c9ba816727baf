// Keccak-256, the hash Ethereum uses (EIP-55 address checksums).
//
// OpenSSL 3.0 has SHA3-256 but not Keccak-256: both are the same sponge over
// Keccak-f[1600], and differ only in the padding's domain bits (0x06 for
// SHA3, 0x01 for the original Keccak submission Ethereum adopted). So the
// permutation is written here once and both paddings are offered: SHA3-256
// lets the tests check the permutation against OpenSSL on inputs of every length.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace airlock::detect {

using Digest256 = std::array<uint8_t, 32>;

Digest256 keccak256(std::string_view data);
Digest256 sha3_256(std::string_view data);

}  // namespace airlock::detect
