// Exact token counts with OpenAI's byte-pair encodings: o200k_base (the
// GPT-4o and GPT-4.1 families) and cl100k_base (GPT-3.5 Turbo, GPT-4), as
// tiktoken and js-tiktoken compute them. The rank tables are built into the
// binary (src/tokens/README.md says from where); nothing is read or
// downloaded at run time. Special tokens ("<|endoftext|>") are counted as the
// ordinary text they are, which is what a fine-tuning file's content is.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace airlock::tokens {

enum class Encoding { kO200kBase, kCl100kBase };
inline constexpr Encoding kEncodings[] = {Encoding::kO200kBase, Encoding::kCl100kBase};

std::string_view encoding_name(Encoding encoding);  // "o200k_base"
// A usage error naming the known encodings when `name` is none of them.
Result<Encoding> encoding_from_name(std::string_view name);

class Tokenizer {
 public:
  // The tokenizer of `encoding`, built on first use (tens of milliseconds)
  // and shared; an internal error if the embedded rank table is damaged.
  // Safe to call, and to use, from several threads at once.
  static Result<const Tokenizer*> get(Encoding encoding);

  // Appends the token ids of `utf8` to `ids`. Invalid UTF-8 is encoded
  // byte by byte rather than refused (see tokens/pretokenize.h).
  void encode(std::string_view utf8, std::vector<uint32_t>& ids) const;
  uint64_t count(std::string_view utf8) const;

  Encoding encoding() const { return encoding_; }

  struct Ranks;  // the byte-string → rank table (ranks.cpp)
  Tokenizer(Encoding encoding, std::unique_ptr<const Ranks> ranks);
  ~Tokenizer();

 private:
  Encoding encoding_;
  std::unique_ptr<const Ranks> ranks_;
};

// OpenAI's count for a chat example (the cookbook's num_tokens_from_messages):
// each message costs its content's tokens plus kTokensPerMessage, plus
// kTokensPerName when it has a name; the reply is primed with
// kTokensReplyPriming more.
inline constexpr uint64_t kTokensPerMessage = 3;
inline constexpr uint64_t kTokensPerName = 1;
inline constexpr uint64_t kTokensReplyPriming = 3;

}  // namespace airlock::tokens
