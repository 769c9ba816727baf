// Fuzzes loading a rule pack (YAML, hostile) and compiling it: errors are
// fine, crashes and hangs are not.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "detect/detect.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/airlock-rule-pack-fuzz-" + std::to_string(::getpid()) + ".yaml";
  FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) return 0;
  std::fwrite(data, 1, size, file);
  std::fclose(file);
  auto packs = airlock::detect::load_packs({path});
  if (packs.ok()) {
    auto scanner = airlock::detect::Scanner::create(std::move(packs.value()), {});
    if (scanner.ok()) (void)airlock::detect::check_examples(*scanner.value());
  }
  return 0;
}
