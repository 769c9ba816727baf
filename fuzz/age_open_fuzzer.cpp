// libFuzzer target: any bytes given to DecryptingSource, binary or armored.
// It must never crash, hang or read out of bounds, and anything it releases
// must come from chunks that authenticated — which, with keys the fuzzer
// cannot know, means nothing at all unless it replays the seed file.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "crypto/age.h"
#include "io/io.h"

namespace {

// The public test key of the CCTV age vectors, the seed corpus.
constexpr char kIdentity[] = "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0";
constexpr int kMaxWorkFactor = 10;  // the vectors' own factor; higher would slow fuzzing

const std::vector<airlock::crypto::Identity>& identities() {
  static const auto* kIdentities = [] {
    auto* list = new std::vector<airlock::crypto::Identity>();
    auto key = airlock::crypto::X25519Identity::parse(kIdentity);
    if (!key.ok()) std::abort();
    list->push_back(airlock::crypto::Identity::x25519(std::move(key.value())));
    list->push_back(airlock::crypto::Identity::passphrase(airlock::crypto::SecretBytes("password"), kMaxWorkFactor));
    return list;
  }();
  return *kIdentities;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  auto source = airlock::crypto::DecryptingSource::open(airlock::io::memory_source(bytes), identities(), "fuzz");
  if (!source.ok()) return 0;
  char buffer[4096];
  for (;;) {
    auto got = (*source)->read(buffer, sizeof buffer);
    if (!got.ok() || got.value() == 0) break;
  }
  return 0;
}
