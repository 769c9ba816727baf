// js-tiktoken's rank files, embedded with the assembler's .incbin so that the
// binary needs no file at run time. CMake passes their paths and makes this
// object depend on them (src/tokens/CMakeLists.txt).
#include "tokens/ranks.h"

// clang-format off
#define AIRLOCK_EMBED(symbol, path)                  \
  asm(".section .rodata\n"                           \
      ".global " #symbol "\n"                        \
      ".balign 16\n"                                 \
      #symbol ":\n"                                  \
      ".incbin \"" path "\"\n"                       \
      ".global " #symbol "_end\n"                    \
      #symbol "_end:\n"                              \
      ".byte 0\n"                                    \
      ".previous\n")
// clang-format on

AIRLOCK_EMBED(airlock_o200k_base_ranks, AIRLOCK_O200K_BASE_FILE);
AIRLOCK_EMBED(airlock_cl100k_base_ranks, AIRLOCK_CL100K_BASE_FILE);

extern "C" const char airlock_o200k_base_ranks[];
extern "C" const char airlock_o200k_base_ranks_end[];
extern "C" const char airlock_cl100k_base_ranks[];
extern "C" const char airlock_cl100k_base_ranks_end[];

namespace airlock::tokens {

std::string_view embedded_rank_file(Encoding encoding) {
  if (encoding == Encoding::kO200kBase) {
    return {airlock_o200k_base_ranks, static_cast<size_t>(airlock_o200k_base_ranks_end - airlock_o200k_base_ranks)};
  }
  return {airlock_cl100k_base_ranks, static_cast<size_t>(airlock_cl100k_base_ranks_end - airlock_cl100k_base_ranks)};
}

}  // namespace airlock::tokens
