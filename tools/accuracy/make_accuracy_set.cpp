// Writes the labelled accuracy set (accuracy_set.h) to a folder:
//
//   make_accuracy_set OUT_DIR
//
// chat.jsonl (the records), truth.jsonl (the planted values, as
// `airlock eval --truth` reads them) and decoys.jsonl (what must not be
// found). tools/accuracy-set runs it on fixtures/accuracy/; the test suite
// checks that the committed files are what it writes.
#include <fstream>
#include <iostream>
#include <string>

#include "accuracy/accuracy_set.h"

namespace {

bool write(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) std::cerr << "make_accuracy_set: " << path << ": cannot write\n";
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_accuracy_set OUT_DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  auto records = airlock::accuracy::generate();
  bool ok = write(dir + "/chat.jsonl", airlock::accuracy::chat_jsonl(records)) &&
            write(dir + "/truth.jsonl", airlock::accuracy::labels_jsonl(records, false)) &&
            write(dir + "/decoys.jsonl", airlock::accuracy::labels_jsonl(records, true));
  return ok ? 0 : 3;
}
