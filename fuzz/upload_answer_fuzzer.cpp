// Fuzzes what upload takes from outside: a service's answer body (ids,
// error messages that must come out masked and short), a base URL, and the
// upload-state.json an interrupted transfer left in the run folder. Errors
// are fine; crashes, hangs, and an answer shown with the key or longer
// than its cap are not.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "upload/internal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string_view key = "sk-fuzz-key";

  std::string shown = airlock::upload::service_message(input, key);
  if (shown.find(key) != std::string::npos || shown.size() > 303) std::abort();
  (void)airlock::upload::answer_id(input, {"id"}, "https://x/v1/files");
  (void)airlock::upload::answer_id(input, {"file", "id"}, "https://x/v1/uploads/u/complete");
  airlock::Result<airlock::upload::Url> url = airlock::upload::parse_url(input);
  if (url.ok()) (void)airlock::upload::check_transport(url.value(), true);

  static const std::string dir = "/tmp/airlock-upload-fuzz-" + std::to_string(::getpid());
  ::mkdir(dir.c_str(), 0700);
  if (FILE* file = std::fopen((dir + "/upload-state.json").c_str(), "wb")) {
    std::fwrite(data, 1, size, file);
    std::fclose(file);
  }
  airlock::upload::TransferLog log(dir, "https://x/v1/uploads", 4096, std::string(64, '0'));
  (void)log.load();
  return 0;
}
