// Internal to the pipeline: a batch of lines, the unit of parallel work.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/pipeline.h"
#include "record/record.h"

namespace airlock::pipeline {

// A growable byte buffer that does not zero what it allocates (a batch is
// filled by read(2) straight away; zeroing would cost a pass over memory).
class ByteBuffer {
 public:
  char* data() { return bytes_.get(); }
  const char* data() const { return bytes_.get(); }
  size_t size() const { return size_; }
  // Makes size() == n, keeping the first min(n, size()) bytes.
  void resize(size_t n) {
    reserve(n);
    size_ = n;
  }
  void reserve(size_t n) {
    if (n <= capacity_) return;
    size_t grown = std::max(n, capacity_ + capacity_ / 2);
    std::unique_ptr<char[]> bigger(new char[grown]);
    if (size_) std::memcpy(bigger.get(), bytes_.get(), size_);
    bytes_ = std::move(bigger);
    capacity_ = grown;
  }

 private:
  std::unique_ptr<char[]> bytes_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// A line of the batch. Lines over the size limit never reach memory whole:
// they carry their length and digest instead of bytes.
struct LineRef {
  uint64_t number = 0;       // 1-based line number in its input
  uint64_t file_offset = 0;  // byte offset of the line in the decompressed input
  uint32_t begin = 0;        // bytes [begin, begin + length) of Batch::data
  uint32_t length = 0;
  int32_t oversize = -1;  // index into Batch::oversize, or -1
};

struct OversizeLine {
  uint64_t length = 0;
  std::string sha256;
};

struct Batch {
  uint64_t sequence = 0;
  size_t input_index = 0;
  const std::string* source = nullptr;  // input's display name
  const record::FieldSelector* selector = nullptr;
  ByteBuffer data;  // the lines; capacity leaves record::kReadPadding after them
  std::vector<LineRef> lines;
  std::vector<OversizeLine> oversize;
  uint64_t raw_bytes_read = 0;  // of the whole run, when this batch was cut

  // Filled by the worker.
  std::string clean;
  std::string quarantine;
  std::string log;
  std::string vault;
  std::optional<Error> error;  // a stage failed: the run stops
  Counts counts;
  std::vector<StageSummary> stage_counts;  // decode first, then each stage
  uint64_t rescanned = 0;                  // the verification pass: records
  uint64_t leftover = 0;                   //   scanned again, findings left

  // Empties the batch for reuse, keeping the memory it holds.
  void clear() {
    data.resize(0);
    lines.clear();
    oversize.clear();
    clean.clear();
    quarantine.clear();
    log.clear();
    vault.clear();
    error.reset();
    counts = Counts();
    stage_counts.clear();
    rescanned = 0;
    leftover = 0;
  }
};

// Cuts an input into batches of whole lines.
class LineBatcher {
 public:
  LineBatcher(io::ByteSource& source, size_t batch_bytes, size_t max_line_bytes);
  // The next batch of this input (sequence, input and selector unset), or
  // nullptr once the input is exhausted. A `recycled` batch, if given, is
  // cleared and filled again: its buffers keep their capacity, which spares
  // an allocation and the page faults of fresh memory for every batch.
  Result<std::unique_ptr<Batch>> next(std::unique_ptr<Batch> recycled = nullptr);
  bool bom_stripped() const { return bom_stripped_; }
  uint64_t bytes() const { return bytes_read_; }  // decompressed bytes read

 private:
  void emit(Batch& batch, size_t begin, size_t end);
  Status skip_oversize_line(Batch& batch, size_t line_start, size_t& size);
  Result<size_t> read_more(Batch& batch, size_t size);

  io::ByteSource& source_;
  size_t batch_bytes_;
  size_t max_line_bytes_;
  size_t chunk_bytes_;
  ByteBuffer carry_;  // a partial line left over from the previous batch
  size_t carry_size_ = 0;
  uint64_t next_line_ = 1;
  uint64_t carry_offset_ = 0;  // file offset of carry_[0]
  int64_t offset_delta_ = 0;   // file offset of data[i] is batch_offset_ + i + offset_delta_
  uint64_t batch_offset_ = 0;
  uint64_t bytes_read_ = 0;
  bool started_ = false;  // the byte-order-mark check has been made
  bool bom_stripped_ = false;
  bool eof_ = false;
  bool done_ = false;
};

// Decodes every line of the batch, runs the stages and fills the outputs.
void process_batch(Batch& batch, const std::vector<const Stage*>& stages, const Options& options);

}  // namespace airlock::pipeline
