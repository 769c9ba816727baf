// The labelled accuracy set: chat records across support, medical, legal,
// HR, finance and code-help conversations, about a third with nothing
// personal in them, with planted values whose exact spans are known
// (plain and adversarial spellings), and decoys that look like values but
// must not be found (numbers failing Luhn, order ids, UUIDs, git hashes,
// ISBNs, timestamps, invalid SSNs and IBANs, version strings, names that are
// common words used as words).
//
// Deterministic: the same count and seed give the same bytes on every
// machine (std::mt19937_64 is specified; no distribution classes, whose
// output is not). tests/accuracy_test.cpp scores the shipped packs on it;
// tools/accuracy/make_accuracy_set writes it to fixtures/accuracy/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace airlock::accuracy {

struct Label {
  size_t message = 0;  // index into Record::messages
  uint64_t start = 0;  // code points into the message's content
  uint64_t end = 0;
  std::string entity;   // for a decoy: what it could be taken for
  std::string variant;  // how it is written: "plain", "fullwidth", "spaced", "lower", "cue", …
  bool decoy = false;
};

struct Message {
  std::string role;
  std::string content;
};

struct Record {
  std::string domain;  // support, medical, legal, hr, finance, code
  std::vector<Message> messages;
  std::vector<Label> labels;
};

constexpr uint64_t kDefaultSeed = 20261125;
constexpr size_t kDefaultCount = 2400;

std::vector<Record> generate(size_t count = kDefaultCount, uint64_t seed = kDefaultSeed);

// {"messages":[{"role":…,"content":…},…]} a line.
std::string chat_jsonl(const std::vector<Record>& records);
// The labels as `airlock eval --truth` reads them: {"line","path","start",
// "end","entity","variant","domain"} a line; decoys (decoys = true) or values.
std::string labels_jsonl(const std::vector<Record>& records, bool decoys);

}  // namespace airlock::accuracy
