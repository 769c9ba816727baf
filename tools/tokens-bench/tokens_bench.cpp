// airlock-tokens-bench FILE ENCODING: tokenizes every line of FILE and prints
// "bytes tokens seconds" for the tokenizing alone (the file is read and the
// rank table loaded before the clock starts), as tools/token-bench.mjs does
// for js-tiktoken, so that tools/bench compares like with like.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "tokens/tokens.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: airlock-tokens-bench FILE o200k_base|cl100k_base\n");
    return 2;
  }
  auto encoding = airlock::tokens::encoding_from_name(argv[2]);
  if (!encoding.ok()) {
    std::fprintf(stderr, "airlock-tokens-bench: %s\n", encoding.error().message.c_str());
    return 2;
  }
  auto tokenizer = airlock::tokens::Tokenizer::get(encoding.value());
  if (!tokenizer.ok()) {
    std::fprintf(stderr, "airlock-tokens-bench: %s\n", tokenizer.error().message.c_str());
    return 3;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "airlock-tokens-bench: %s: cannot open\n", argv[1]);
    return 3;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();

  auto start = std::chrono::steady_clock::now();
  uint64_t tokens = 0;
  for (size_t begin = 0; begin < text.size();) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    tokens += tokenizer.value()->count(std::string_view(text).substr(begin, end - begin));
    begin = end + 1;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%zu %llu %.3f\n", text.size(), static_cast<unsigned long long>(tokens), seconds);
  return 0;
}
