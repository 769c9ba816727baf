// The run: a reader on the calling thread, workers in a Boost.Asio thread
// pool, and an ordered writer thread that restores input order.
#include "pipeline/pipeline.h"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "pipeline/batch.h"

namespace airlock::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Writes batches in sequence order as workers finish them, and bounds how
// many batches exist at once (the reader asks for a slot before it reads).
class OrderedWriter {
 public:
  OrderedWriter(const Sinks& sinks, size_t max_in_flight, Summary& summary, const Options& options,
                uint64_t raw_bytes_total)
      : sinks_(sinks),
        max_in_flight_(max_in_flight),
        summary_(summary),
        options_(options),
        raw_bytes_total_(raw_bytes_total),
        start_(Clock::now()),
        thread_([this] { loop(); }) {}

  ~OrderedWriter() {
    if (thread_.joinable()) close(next_sequence_);
  }

  // Blocks until fewer than max_in_flight batches exist; false once writing
  // has failed (the reader then stops).
  bool acquire_slot() {
    std::unique_lock lock(mutex_);
    slot_free_.wait(lock, [&] { return in_flight_ < max_in_flight_ || error_; });
    if (error_) return false;
    ++in_flight_;
    return true;
  }
  void release_slot() {
    std::lock_guard lock(mutex_);
    --in_flight_;
    slot_free_.notify_one();
  }

  void deliver(std::unique_ptr<Batch> batch) {
    std::lock_guard lock(mutex_);
    uint64_t sequence = batch->sequence;
    pending_.emplace(sequence, std::move(batch));
    if (sequence == next_sequence_) batch_ready_.notify_one();
  }

  // Waits until all `batch_count` batches are written, then stops.
  void close(uint64_t batch_count) {
    {
      std::lock_guard lock(mutex_);
      batch_count_ = batch_count;
      batch_ready_.notify_one();
    }
    thread_.join();
  }

  std::optional<Error> error() {
    std::lock_guard lock(mutex_);
    return error_;
  }

 private:
  void loop() {
    for (;;) {
      std::unique_ptr<Batch> batch;
      {
        std::unique_lock lock(mutex_);
        batch_ready_.wait(lock, [&] {
          return pending_.count(next_sequence_) > 0 || next_sequence_ == batch_count_;
        });
        if (next_sequence_ == batch_count_) return;
        auto it = pending_.find(next_sequence_);
        batch = std::move(it->second);
        pending_.erase(it);
      }
      bool failed = error().has_value();
      if (!failed) write(*batch);
      std::lock_guard lock(mutex_);
      ++next_sequence_;
      --in_flight_;
      slot_free_.notify_one();
    }
  }

  void write(const Batch& batch) {
    Status status = sinks_.clean->write(batch.clean);
    if (status.ok()) status = sinks_.quarantine->write(batch.quarantine);
    if (!status.ok()) {
      std::lock_guard lock(mutex_);
      error_ = status.error();
      slot_free_.notify_all();
      return;
    }
    summary_.clean_bytes += batch.clean.size();
    summary_.quarantine_bytes += batch.quarantine.size();
    summary_.inputs[batch.input_index].counts.add(batch.counts);
    for (size_t i = 0; i < batch.stage_counts.size(); ++i) {
      summary_.stages[i].changed += batch.stage_counts[i].changed;
      summary_.stages[i].quarantined += batch.stage_counts[i].quarantined;
    }
    records_ += batch.counts.records;
    bytes_ += batch.data.size();
    report_progress(batch.raw_bytes_read);
  }

  void report_progress(uint64_t raw_bytes_read) {
    if (!options_.progress) return;
    auto now = Clock::now();
    if (now - last_progress_ < std::chrono::milliseconds(200)) return;
    last_progress_ = now;
    options_.progress(Progress{records_, bytes_, raw_bytes_read, raw_bytes_total_, seconds_since(start_)});
  }

  const Sinks sinks_;
  const size_t max_in_flight_;
  Summary& summary_;  // the writer thread owns the counts while running
  const Options& options_;
  const uint64_t raw_bytes_total_;
  const Clock::time_point start_;
  Clock::time_point last_progress_{};
  uint64_t records_ = 0;
  uint64_t bytes_ = 0;

  std::mutex mutex_;
  std::condition_variable batch_ready_;
  std::condition_variable slot_free_;
  std::map<uint64_t, std::unique_ptr<Batch>> pending_;
  uint64_t next_sequence_ = 0;
  uint64_t batch_count_ = UINT64_MAX;
  size_t in_flight_ = 0;
  std::optional<Error> error_;
  std::thread thread_;  // last: starts after everything above exists
};

// What the reader learns about each input while reading it.
struct InputState {
  std::unique_ptr<record::FieldSelector> selector;  // stable address for batches
  bool bom_stripped = false;
  uint64_t bytes = 0;
};

Status check_reconciled(const Summary& summary) {
  for (const InputSummary& input : summary.inputs) {
    const Counts& c = input.counts;
    if (!c.reconciles()) {
      return internal_error(input.info.display_name + ": counts do not reconcile: " + std::to_string(c.records) +
                            " records, " + std::to_string(c.clean) + " clean, " + std::to_string(c.quarantined) +
                            " quarantined, " + std::to_string(c.empty_lines) + " empty of " +
                            std::to_string(c.lines) + " lines");
    }
  }
  if (!summary.totals.reconciles()) return internal_error("run totals do not reconcile");
  return ok_status();
}

}  // namespace

void Counts::add(const Counts& other) {
  lines += other.lines;
  empty_lines += other.empty_lines;
  records += other.records;
  clean += other.clean;
  changed += other.changed;
  quarantined += other.quarantined;
  bytes += other.bytes;
  for (const auto& [code, n] : other.reasons) reasons[code] += n;
}

Result<OpenedInputs> open_inputs(const std::vector<std::string>& paths) {
  if (paths.empty()) return usage_error("no input given (a file, or - for standard input)");
  OpenedInputs opened;
  int stdin_uses = 0;
  for (const std::string& path : paths) {
    if (path == "-" && ++stdin_uses > 1) return usage_error("standard input (-) can be read only once");
    io::InputInfo info;
    Result<std::unique_ptr<io::ByteSource>> source = io::open_input(path, &info);
    if (!source.ok()) return source.error();
    opened.infos.push_back(std::move(info));
    opened.sources.push_back(std::move(source.value()));
  }
  return opened;
}

Result<Summary> run(const Options& options, OpenedInputs inputs, const std::vector<const Stage*>& stages,
                    const Sinks& sinks) {
  Result<record::FieldSelector> requested = record::FieldSelector::parse(options.fields);
  if (!requested.ok()) return requested.error();
  unsigned threads = std::max(1u, options.threads);
  size_t max_in_flight = options.max_batches_in_flight ? options.max_batches_in_flight : 2 * threads + 2;

  Summary summary;
  summary.threads = threads;
  for (const io::InputInfo& info : inputs.infos) summary.inputs.push_back(InputSummary{info, "", false, {}});
  summary.stages.push_back({"decode", 0, 0});
  for (const Stage* stage : stages) summary.stages.push_back({std::string(stage->name()), 0, 0});

  uint64_t raw_total = 0;
  for (const io::InputInfo& info : inputs.infos) {
    if (!info.file_size) {
      raw_total = 0;
      break;
    }
    raw_total += *info.file_size;
  }

  std::vector<InputState> states(inputs.infos.size());
  std::optional<Error> read_error;
  uint64_t sequence = 0;
  uint64_t raw_bytes_before = 0;  // raw bytes of the inputs already finished
  auto start = Clock::now();
  {
    boost::asio::thread_pool pool(threads);
    OrderedWriter writer(sinks, max_in_flight, summary, options, raw_total);
    for (size_t i = 0; i < inputs.sources.size() && !read_error; ++i) {
      io::ByteSource& source = *inputs.sources[i];
      const std::string& name = summary.inputs[i].info.display_name;
      InputState& state = states[i];
      if (!requested->is_auto()) state.selector = std::make_unique<record::FieldSelector>(requested.value());
      LineBatcher batcher(source, options.batch_bytes, options.max_line_bytes);
      for (;;) {
        if (!writer.acquire_slot()) break;
        Result<std::unique_ptr<Batch>> next = batcher.next();
        if (!next.ok()) read_error = next.error();
        if (!next.ok() || !next.value()) {
          writer.release_slot();
          break;
        }
        std::unique_ptr<Batch> batch = std::move(next.value());
        if (!state.selector) {
          for (const LineRef& line : batch->lines) {
            std::string_view text(batch->data.data() + line.begin, line.length);
            if (line.oversize >= 0 || text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
            record::Preset preset = record::detect_preset(text);
            state.selector = std::make_unique<record::FieldSelector>(record::FieldSelector::for_preset(preset));
            if (options.notice) {
              options.notice(name + ": fields: " + state.selector->describe() + ", picked by the shape of line " +
                             std::to_string(line.number) + " (--fields to choose)");
            }
            break;
          }
        }
        // A batch with only blank or over-long lines needs no selector yet.
        static const record::FieldSelector kUnused = record::FieldSelector::for_preset(record::Preset::kAll);
        batch->selector = state.selector ? state.selector.get() : &kUnused;
        batch->sequence = sequence++;
        batch->input_index = i;
        batch->source = &name;
        batch->raw_bytes_read = raw_bytes_before + source.raw_bytes_read();
        Batch* raw = batch.release();
        boost::asio::post(pool, [raw, &stages, &writer] {
          std::unique_ptr<Batch> owned(raw);
          process_batch(*owned, stages);
          writer.deliver(std::move(owned));
        });
      }
      state.bom_stripped = batcher.bom_stripped();
      state.bytes = batcher.bytes();
      raw_bytes_before += source.raw_bytes_read();
    }
    pool.join();
    writer.close(sequence);
    if (!read_error) read_error = writer.error();
  }
  if (read_error) return *read_error;

  summary.seconds = seconds_since(start);
  for (size_t i = 0; i < states.size(); ++i) {
    InputSummary& input = summary.inputs[i];
    input.fields = states[i].selector ? states[i].selector->describe() : "none (no records)";
    input.bom_stripped = states[i].bom_stripped;
    input.counts.bytes = states[i].bytes;
    summary.totals.add(input.counts);
  }
  Status reconciled = check_reconciled(summary);
  if (!reconciled.ok()) return reconciled.error();
  return summary;
}

}  // namespace airlock::pipeline
