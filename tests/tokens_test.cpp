// tokens: o200k_base and cl100k_base against js-tiktoken's golden ids.
#include "tokens/tokens.h"

#include <simdjson.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <thread>

#include "test_util.h"
#include "tokens/bpe.h"
#include "tokens/ranks.h"

using namespace airlock;
using tokens::Encoding;

namespace {

const tokens::Tokenizer& tokenizer(Encoding encoding) {
  auto got = tokens::Tokenizer::get(encoding);
  REQUIRE(got.ok());
  return *got.value();
}

std::vector<uint32_t> encode(Encoding encoding, std::string_view text) {
  std::vector<uint32_t> ids;
  tokenizer(encoding).encode(text, ids);
  return ids;
}

struct Golden {
  std::string text;
  std::vector<uint32_t> ids[2];  // by Encoding
};

std::vector<Golden> load_golden() {
  std::string path = std::string(AIRLOCK_SOURCE_DIR) + "/fixtures/tokens/golden.jsonl";
  std::vector<Golden> cases;
  simdjson::dom::parser parser;
  for (const std::string& line : test::split_lines(test::read_file(path))) {
    simdjson::dom::element root = parser.parse(line);
    Golden golden;
    golden.text = std::string(std::string_view(root["text"]));
    for (Encoding encoding : tokens::kEncodings) {
      for (int64_t id : root[tokens::encoding_name(encoding)].get_array()) {
        golden.ids[static_cast<int>(encoding)].push_back(static_cast<uint32_t>(id));
      }
    }
    cases.push_back(std::move(golden));
  }
  return cases;
}

}  // namespace

TEST_CASE("every golden string encodes to js-tiktoken's ids", "[tokens][golden]") {
  std::vector<Golden> cases = load_golden();
  REQUIRE(cases.size() >= 2000);
  for (Encoding encoding : tokens::kEncodings) {
    size_t mismatches = 0;
    for (const Golden& golden : cases) {
      const auto& want = golden.ids[static_cast<int>(encoding)];
      if (encode(encoding, golden.text) == want && tokenizer(encoding).count(golden.text) == want.size()) continue;
      if (++mismatches <= 5) {
        INFO(tokens::encoding_name(encoding) << ": " << golden.text);
        CHECK(encode(encoding, golden.text) == want);
      }
    }
    INFO(tokens::encoding_name(encoding));
    CHECK(mismatches == 0);
  }
}

TEST_CASE("known counts from OpenAI's documentation", "[tokens]") {
  // tiktoken's README: "tiktoken is great!" is 6 tokens in cl100k_base.
  CHECK(encode(Encoding::kCl100kBase, "tiktoken is great!") == std::vector<uint32_t>{83, 1609, 5963, 374, 2294, 0});
  CHECK(tokenizer(Encoding::kO200kBase).count("hello world") == 2);
  CHECK(tokenizer(Encoding::kO200kBase).count("") == 0);
}

TEST_CASE("the pre-tokenizer's lookahead: a space run gives its last space to the next word", "[tokens]") {
  for (Encoding encoding : tokens::kEncodings) {
    // "a", "  " (\s+(?!\S) stops before the last space), " b"
    auto three_spaces = encode(encoding, "a   b");
    auto ids_a = encode(encoding, "a");
    auto ids_two = encode(encoding, "  ");
    auto ids_b = encode(encoding, " b");
    std::vector<uint32_t> want = ids_a;
    want.insert(want.end(), ids_two.begin(), ids_two.end());
    want.insert(want.end(), ids_b.begin(), ids_b.end());
    CHECK(three_spaces == want);
  }
}

TEST_CASE("invalid UTF-8 is encoded byte by byte, not refused", "[tokens]") {
  for (Encoding encoding : tokens::kEncodings) {
    std::string invalid = "ok \xff\xfe tail \xc3";
    CHECK(tokenizer(encoding).count(invalid) >= 5);
    // Each invalid byte is its own piece, so it costs as much as alone.
    CHECK(tokenizer(encoding).count("\xff") == 1);
  }
}

TEST_CASE("a piece of a mebibyte merges in n log n time", "[tokens]") {
  // Pieces over 128 bytes merge with a heap; the golden set's "a" × 300
  // checks its ids. Here a hostile 1 MiB single piece must finish promptly
  // (the pairwise rescan would take hours) and shrink the count a lot.
  for (Encoding encoding : tokens::kEncodings) {
    std::string huge(1 << 20, 'a');
    uint64_t count = tokenizer(encoding).count(huge);
    CHECK(count > 0);
    CHECK(count < huge.size() / 4);
  }
}

TEST_CASE("tokenizers can be used from several threads at once", "[tokens]") {
  std::vector<Golden> cases = load_golden();
  std::vector<uint64_t> totals(4, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < totals.size(); ++t) {
    threads.emplace_back([&, t] {
      for (const Golden& golden : cases) totals[t] += tokenizer(Encoding::kO200kBase).count(golden.text);
    });
  }
  for (auto& thread : threads) thread.join();
  uint64_t want = 0;
  for (const Golden& golden : cases) want += golden.ids[0].size();
  for (uint64_t total : totals) CHECK(total == want);
}

TEST_CASE("encodings are named as OpenAI names them", "[tokens]") {
  CHECK(tokens::encoding_from_name("cl100k_base").value() == Encoding::kCl100kBase);
  CHECK(tokens::encoding_from_name("o200k_base").value() == Encoding::kO200kBase);
  auto unknown = tokens::encoding_from_name("p50k_base");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message.find("o200k_base") != std::string::npos);
}

TEST_CASE("the heap merge and tiktoken's pairwise merge agree on every piece", "[tokens][differential]") {
  // Differential: merge_long serves pieces over kLongPiece bytes, where the
  // golden set has few; both must give the same ids on any bytes. Pieces
  // are cut from the golden texts (real scripts) and from random bytes.
  std::vector<Golden> cases = load_golden();
  std::string all;
  for (const Golden& golden : cases) all += golden.text;
  std::mt19937 random(7);
  for (Encoding encoding : tokens::kEncodings) {
    auto ranks = tokens::Tokenizer::Ranks::parse(encoding, tokens::embedded_rank_file(encoding));
    REQUIRE(ranks.ok());
    for (int i = 0; i < 3000; ++i) {
      size_t length = 1 + random() % 300;
      std::string piece;
      if (i % 3 == 0) {
        for (size_t k = 0; k < length; ++k) piece.push_back(static_cast<char>(random() % 256));
      } else {
        piece = all.substr(random() % (all.size() - length), length);
      }
      std::vector<uint32_t> pairwise, heap;
      tokens::internal::merge_short(*ranks.value(), piece, pairwise);
      tokens::internal::merge_long(*ranks.value(), piece, heap);
      INFO(tokens::encoding_name(encoding) << " piece " << i);
      REQUIRE(pairwise == heap);
    }
  }
}

TEST_CASE("a damaged rank file is refused with the reason", "[tokens]") {
  std::string_view real = tokens::embedded_rank_file(Encoding::kCl100kBase);
  auto other_pattern = tokens::Tokenizer::Ranks::parse(Encoding::kO200kBase, real);
  REQUIRE_FALSE(other_pattern.ok());
  CHECK_THAT(other_pattern.error().message, Catch::Contains("pre-tokenizer pattern"));
  std::string truncated(real.substr(0, real.rfind(' ', real.size() / 2)));
  truncated += "\"}";
  auto short_file = tokens::Tokenizer::Ranks::parse(Encoding::kCl100kBase, truncated);
  REQUIRE_FALSE(short_file.ok());
  CHECK_THAT(short_file.error().message, Catch::Contains("ranks, not 100256"));
  std::string bad_base64(real);
  bad_base64.replace(bad_base64.find("IQ=="), 4, "I!==");
  CHECK_FALSE(tokens::Tokenizer::Ranks::parse(Encoding::kCl100kBase, bad_base64).ok());
}
