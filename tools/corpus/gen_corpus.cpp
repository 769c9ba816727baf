// Generates a realistic, seeded chat fine-tuning corpus for benchmarks:
// OpenAI chat JSONL with system/user/assistant turns, tool calls, escapes,
// non-ASCII text and a sprinkling of (fictitious) personal data and secrets
// of the kinds airlock looks for.
//
//   airlock-gen-corpus --size 500M [--seed 1] [--format chat|text] > corpus.jsonl
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

// splitmix64: small, fast, and the same sequence on every platform.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }
  bool chance(unsigned percent) { return below(100) < percent; }
  bool chance_per_10k(unsigned n) { return below(10000) < n; }
  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[below(items.size())];
  }

 private:
  uint64_t state_;
};

const std::vector<std::string> kWords = {
    "the",       "customer", "order",    "account",  "please",   "update",  "shipping",   "address",  "invoice",
    "refund",    "policy",   "model",    "training", "data",     "report",  "quarterly",  "review",   "meeting",
    "schedule",  "support",  "ticket",   "issue",    "error",    "server",  "deployment", "release",  "version",
    "feature",   "request",  "approval", "contract", "legal",    "medical", "patient",    "record",   "appointment",
    "insurance", "claim",    "billing",  "payment",  "we",       "you",     "they",       "can",      "will",
    "should",    "need",     "to",       "and",      "or",       "with",    "for",        "from",     "about",
    "a",         "an",       "is",       "are",      "was",      "be",      "this",       "that",     "it",
    "on",        "in",       "of",       "at",       "by",       "as",      "not",        "quickly",  "carefully",
    "tomorrow",  "today",    "next",     "week",     "month",    "team",    "manager",    "engineer", "function",
    "return",    "value",    "string",   "list",     "database", "query",   "index",      "cache",    "latency",
};

const std::vector<std::string> kUnicode = {
    "café",     "naïve",  "Zürich", "São Paulo", "東京",   "日本語のテキスト",
    "Привет",   "مرحبا",  "😀",      "👍🏽",  "résumé", "façade",
    "Ελληνικά", "한국어", "½ cup",  "€42",       "—",      "“quoted”",
};

const std::vector<std::string> kNames = {"Alice Martin", "Bob Chen",   "Carla Gómez",  "Dmitri Ivanov",
                                         "Erin O'Neil",  "Farah Khan", "Georg Müller", "Hiro Tanaka"};

std::string number_string(Random& r, size_t digits) {
  std::string s;
  for (size_t i = 0; i < digits; ++i) s += static_cast<char>('0' + r.below(10));
  return s;
}

// Fictitious values in the shapes detectors look for.
std::string sensitive(Random& r) {
  switch (r.below(10)) {
    case 0:
      return "jane." + number_string(r, 3) + "@example.com";
    case 1:
      return "(555) 01" + number_string(r, 1) + "-" + number_string(r, 4);
    case 2:
      return "078-05-" + number_string(r, 4);
    case 3:
      return "4111 1111 1111 " + number_string(r, 4);
    case 4:
      return "192.0.2." + std::to_string(r.below(255));
    case 5:
      return "AKIA" + std::string("IOSFODNN7EXAMPLE");
    case 6:
      return "sk-proj-" + number_string(r, 12) + "abcdefghijklmnop";
    case 7:
      return "GB82 WEST 1234 5698 7654 32";
    case 8:
      return "https://example.org/users/" + number_string(r, 6) + "/profile";
    default:
      return "password=" + number_string(r, 4) + "Secret!";
  }
}

// Numbers as they occur in ordinary text: years, counts, prices, times,
// versions, percentages.
std::string everyday_number(Random& r) {
  switch (r.below(6)) {
    case 0:
      return std::to_string(1990 + r.below(40));
    case 1:
      return std::to_string(1 + r.below(999));
    case 2:
      return "$" + std::to_string(1 + r.below(500)) + "." + number_string(r, 2);
    case 3:
      return std::to_string(1 + r.below(12)) + ":" + number_string(r, 2);
    case 4:
      return "v" + std::to_string(r.below(5)) + "." + std::to_string(r.below(20)) + "." + std::to_string(r.below(10));
    default:
      return std::to_string(r.below(100)) + "%";
  }
}

// A JSON string body (without quotes): words, punctuation, occasional
// escapes, non-ASCII text and sensitive values.
std::string sentence_text(Random& r, size_t words) {
  std::string s;
  for (size_t i = 0; i < words; ++i) {
    if (i) s += r.chance(4) ? "\\n" : " ";
    if (r.chance_per_10k(6)) {  // about one record in ten holds a value to find
      s += sensitive(r);
    } else if (r.chance(3)) {
      s += everyday_number(r);
    } else if (r.chance(3)) {
      s += r.pick(kUnicode);
    } else if (r.chance(1)) {
      s += "\\\"" + r.pick(kWords) + "\\\"";
    } else if (r.chance(1)) {
      s += r.pick(kNames);
    } else {
      s += r.pick(kWords);
    }
    if (r.chance(8)) s += r.chance(50) ? "." : ",";
  }
  return s;
}

std::string chat_record(Random& r) {
  std::string line = "{\"messages\":[{\"role\":\"system\",\"content\":\"You are a helpful assistant for " +
                     r.pick(kWords) + " questions.\"}";
  size_t turns = 1 + r.below(4);
  for (size_t t = 0; t < turns; ++t) {
    line += ",{\"role\":\"user\",\"content\":\"" + sentence_text(r, 8 + r.below(60)) + "\"}";
    if (r.chance(10)) {
      line += ",{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_" + number_string(r, 8) +
              "\",\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"arguments\":\"{\\\"query\\\":\\\"" +
              sentence_text(r, 4) + "\\\"}\"}}]}";
      line += ",{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"" + sentence_text(r, 10) + "\"}";
    }
    line += ",{\"role\":\"assistant\",\"content\":\"" + sentence_text(r, 20 + r.below(150)) + "\"}";
  }
  return line + "]}\n";
}

uint64_t parse_size(const char* text) {
  char* end = nullptr;
  uint64_t n = std::strtoull(text, &end, 10);
  switch (*end) {
    case 'K':
    case 'k':
      return n << 10;
    case 'M':
    case 'm':
      return n << 20;
    case 'G':
    case 'g':
      return n << 30;
    default:
      return n;
  }
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t size = 100ull << 20;
  uint64_t seed = 1;
  bool text = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--size"))
      size = parse_size(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seed"))
      seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--format"))
      text = !std::strcmp(argv[i + 1], "text");
    else {
      std::fprintf(stderr, "usage: airlock-gen-corpus --size N[K|M|G] [--seed N] [--format chat|text]\n");
      return 2;
    }
  }
  Random random(seed);
  uint64_t written = 0;
  std::string buffer;
  while (written < size) {
    buffer += text ? sentence_text(random, 10 + random.below(100)) + "\n" : chat_record(random);
    if (buffer.size() >= (1u << 20) || written + buffer.size() >= size) {
      if (std::fwrite(buffer.data(), 1, buffer.size(), stdout) != buffer.size()) {
        std::perror("airlock-gen-corpus: write");
        return 3;
      }
      written += buffer.size();
      buffer.clear();
    }
  }
  return std::fflush(stdout) == 0 ? 0 : 3;
}
