// Fuzzes `airlock audit verify` on a run folder an attacker wrote: the input
// is split at the first NUL into manifest.json and audit.jsonl. Problems
// reported are fine; crashes and hangs are not.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "audit/audit.h"

namespace {
void write(const std::string& path, const std::string& bytes) {
  FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) return;
  std::fwrite(bytes.data(), 1, bytes.size(), file);
  std::fclose(file);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = "/tmp/airlock-audit-fuzz-" + std::to_string(::getpid());
  ::mkdir(dir.c_str(), 0700);
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t split = input.find('\0');
  write(dir + "/manifest.json", input.substr(0, split));
  write(dir + "/audit.jsonl", split == std::string::npos ? std::string() : input.substr(split + 1));
  airlock::audit::VerifyOptions options;
  options.allow_unsigned = true;
  (void)airlock::audit::verify_run(dir, options);
  return 0;
}
