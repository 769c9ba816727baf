// The run: N workers in a Boost.Asio thread pool, each looping over
//   take the read lock, cut the next batch ─► process it ─► hand it to the
//   ordered writer
// The writer is whichever worker delivers the batch that is next in input
// order: it writes that batch and every later one already waiting, while
// the other workers go on. There is no dedicated reader or writer thread, so
// N workers keep N cores busy, and --threads 1 runs everything on the
// calling thread.
#include "pipeline/pipeline.h"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "pipeline/batch.h"

namespace airlock::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// What the reader learns about each input while reading it.
struct InputState {
  std::unique_ptr<record::FieldSelector> selector;  // stable address for batches
  bool bom_stripped = false;
  uint64_t bytes = 0;
};

class Run {
 public:
  Run(const Options& options, OpenedInputs& inputs, const std::vector<const Stage*>& stages, const Sinks& sinks,
      const record::FieldSelector& requested, Summary& summary, size_t max_in_flight)
      : options_(options),
        inputs_(inputs),
        stages_(stages),
        sinks_(sinks),
        requested_(requested),
        summary_(summary),
        max_in_flight_(max_in_flight),
        states_(inputs.infos.size()),
        start_(Clock::now()) {
    for (const io::InputInfo& info : inputs.infos) {
      if (!info.file_size) {
        raw_bytes_total_ = 0;
        break;
      }
      raw_bytes_total_ += *info.file_size;
    }
  }

  // One worker: read, process, deliver, until the inputs end or a failure.
  void work() {
    for (;;) {
      std::unique_ptr<Batch> batch = read_next();
      if (!batch) return;
      process_batch(*batch, stages_, options_);
      deliver(std::move(batch));
    }
  }

  std::optional<Error> error() {
    std::lock_guard lock(state_mutex_);
    return error_;
  }

  const std::vector<InputState>& input_states() const { return states_; }

 private:
  // The next batch in input order, or nullptr at the end or after a
  // failure. Waits while max_in_flight batches are out.
  std::unique_ptr<Batch> read_next() {
    std::lock_guard read_lock(read_mutex_);
    std::unique_ptr<Batch> spare;
    {
      std::unique_lock lock(state_mutex_);
      slot_free_.wait(lock, [&] { return in_flight_ < max_in_flight_ || error_; });
      if (error_) return nullptr;
      ++in_flight_;
      if (!spare_.empty()) {
        spare = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    Result<std::unique_ptr<Batch>> batch = cut_batch(std::move(spare));
    if (!batch.ok() || !batch.value()) {
      std::lock_guard lock(state_mutex_);
      --in_flight_;
      if (!batch.ok() && !error_) error_ = batch.error();
      slot_free_.notify_all();
      return nullptr;
    }
    return std::move(batch.value());
  }

  // Cuts the next batch, moving on to the next input when one ends.
  // Called with the read lock held.
  Result<std::unique_ptr<Batch>> cut_batch(std::unique_ptr<Batch> spare) {
    while (input_ < inputs_.sources.size()) {
      io::ByteSource& source = *inputs_.sources[input_];
      InputState& state = states_[input_];
      if (!batcher_) {
        batcher_.emplace(source, options_.batch_bytes, options_.max_line_bytes);
        if (!requested_.is_auto()) state.selector = std::make_unique<record::FieldSelector>(requested_);
      }
      Result<std::unique_ptr<Batch>> next = batcher_->next(std::move(spare));
      if (!next.ok()) return next.error();
      if (std::unique_ptr<Batch> batch = std::move(next.value())) {
        label(*batch, state);
        return batch;
      }
      state.bom_stripped = batcher_->bom_stripped();
      state.bytes = batcher_->bytes();
      raw_bytes_before_ += source.raw_bytes_read();
      batcher_.reset();
      ++input_;
    }
    return std::unique_ptr<Batch>();
  }

  // Gives a fresh batch its place in the run, picking the input's preset
  // from its first non-empty line when the fields are "auto".
  void label(Batch& batch, InputState& state) {
    const std::string& name = summary_.inputs[input_].info.display_name;
    if (!state.selector) {
      for (const LineRef& line : batch.lines) {
        std::string_view text(batch.data.data() + line.begin, line.length);
        if (line.oversize >= 0 || text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        record::Preset preset = record::detect_preset(text);
        state.selector = std::make_unique<record::FieldSelector>(record::FieldSelector::for_preset(preset));
        if (options_.notice) {
          options_.notice(name + ": fields: " + state.selector->describe() + ", picked by the shape of line " +
                          std::to_string(line.number) + " (--fields to choose)");
        }
        break;
      }
    }
    // A batch with only blank or over-long lines needs no selector yet.
    static const record::FieldSelector kUnused = record::FieldSelector::for_preset(record::Preset::kAll);
    batch.selector = state.selector ? state.selector.get() : &kUnused;
    batch.sequence = next_sequence_++;
    batch.input_index = input_;
    batch.source = &name;
    batch.raw_bytes_read = raw_bytes_before_ + inputs_.sources[input_]->raw_bytes_read();
  }

  // Queues a processed batch; if it is next in order and nobody is writing,
  // this thread writes it and every consecutive batch already waiting.
  void deliver(std::unique_ptr<Batch> batch) {
    std::unique_lock lock(state_mutex_);
    uint64_t sequence = batch->sequence;
    pending_.emplace(sequence, std::move(batch));
    if (writing_) return;
    writing_ = true;
    for (auto it = pending_.find(next_write_); it != pending_.end(); it = pending_.find(next_write_)) {
      std::unique_ptr<Batch> next = std::move(it->second);
      pending_.erase(it);
      bool failed = error_.has_value();
      lock.unlock();
      Status written = failed ? ok_status() : write(*next);
      lock.lock();
      if (!written.ok() && !error_) error_ = written.error();
      ++next_write_;
      --in_flight_;
      spare_.push_back(std::move(next));
      slot_free_.notify_all();
    }
    writing_ = false;
  }

  // Only the thread that holds the writing turn calls this.
  Status write(const Batch& batch) {
    if (batch.error) return *batch.error;
    Status status = sinks_.clean->write(batch.clean);
    if (status.ok()) status = sinks_.quarantine->write(batch.quarantine);
    if (status.ok() && sinks_.log) status = sinks_.log->write(batch.log);
    if (status.ok() && sinks_.vault) status = sinks_.vault->write(batch.vault);
    if (!status.ok()) return status;
    summary_.clean_bytes += batch.clean.size();
    summary_.quarantine_bytes += batch.quarantine.size();
    summary_.inputs[batch.input_index].counts.add(batch.counts);
    summary_.verification_rescanned += batch.rescanned;
    summary_.verification_findings += batch.leftover;
    for (size_t i = 0; i < batch.stage_counts.size(); ++i) {
      summary_.stages[i].changed += batch.stage_counts[i].changed;
      summary_.stages[i].quarantined += batch.stage_counts[i].quarantined;
    }
    records_written_ += batch.counts.records;
    bytes_written_ += batch.data.size();
    report_progress(batch.raw_bytes_read);
    return ok_status();
  }

  void report_progress(uint64_t raw_bytes_read) {
    if (!options_.progress) return;
    auto now = Clock::now();
    if (now - last_progress_ < std::chrono::milliseconds(200)) return;
    last_progress_ = now;
    options_.progress(
        Progress{records_written_, bytes_written_, raw_bytes_read, raw_bytes_total_, seconds_since(start_)});
  }

  const Options& options_;
  OpenedInputs& inputs_;
  const std::vector<const Stage*>& stages_;
  const Sinks& sinks_;
  const record::FieldSelector& requested_;
  Summary& summary_;  // counts: written only by the thread holding the writing turn
  const size_t max_in_flight_;

  // Reading: under read_mutex_.
  std::mutex read_mutex_;
  std::vector<InputState> states_;
  size_t input_ = 0;
  std::optional<LineBatcher> batcher_;
  uint64_t next_sequence_ = 0;
  uint64_t raw_bytes_before_ = 0;  // raw bytes of the inputs already finished
  uint64_t raw_bytes_total_ = 0;   // 0 when some input's size is unknown

  // Ordering, slots and failure: under state_mutex_.
  std::mutex state_mutex_;
  std::condition_variable slot_free_;
  std::map<uint64_t, std::unique_ptr<Batch>> pending_;
  std::vector<std::unique_ptr<Batch>> spare_;  // written batches, kept for reuse
  uint64_t next_write_ = 0;
  size_t in_flight_ = 0;
  bool writing_ = false;
  std::optional<Error> error_;

  // Progress: touched only by the thread holding the writing turn.
  const Clock::time_point start_;
  Clock::time_point last_progress_{};
  uint64_t records_written_ = 0;
  uint64_t bytes_written_ = 0;
};

Status check_reconciled(const Summary& summary) {
  for (const InputSummary& input : summary.inputs) {
    const Counts& c = input.counts;
    if (!c.reconciles()) {
      return internal_error(input.info.display_name + ": counts do not reconcile: " + std::to_string(c.records) +
                            " records, " + std::to_string(c.clean) + " clean, " + std::to_string(c.quarantined) +
                            " quarantined, " + std::to_string(c.empty_lines) + " empty of " + std::to_string(c.lines) +
                            " lines");
    }
  }
  if (!summary.totals.reconciles()) return internal_error("run totals do not reconcile");
  return ok_status();
}

}  // namespace

Result<OpenedInputs> open_inputs(const std::vector<std::string>& paths, bool digest) {
  if (paths.empty()) return usage_error("no input given (a file, or - for standard input)");
  OpenedInputs opened;
  int stdin_uses = 0;
  for (const std::string& path : paths) {
    if (path == "-" && ++stdin_uses > 1) return usage_error("standard input (-) can be read only once");
    io::InputInfo info;
    Result<std::unique_ptr<io::ByteSource>> source = io::open_input(path, &info, digest);
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
  // Each worker holds at most one batch; the rest wait to be written in order.
  size_t max_in_flight =
      options.max_batches_in_flight ? std::max<size_t>(options.max_batches_in_flight, 1) : 2 * threads + 1;

  Summary summary;
  summary.threads = threads;
  for (const io::InputInfo& info : inputs.infos) summary.inputs.push_back(InputSummary{info, 0, "", "", false, {}});
  summary.stages.push_back({"decode", 0, 0});
  for (const Stage* stage : stages) summary.stages.push_back({std::string(stage->name()), 0, 0});

  auto start = Clock::now();
  Run run(options, inputs, stages, sinks, requested.value(), summary, max_in_flight);
  if (threads == 1) {
    run.work();
  } else {
    boost::asio::thread_pool pool(threads);
    for (unsigned i = 0; i < threads; ++i) boost::asio::post(pool, [&run] { run.work(); });
    pool.join();
  }
  if (std::optional<Error> error = run.error()) return *error;

  summary.seconds = seconds_since(start);
  const std::vector<InputState>& states = run.input_states();
  for (size_t i = 0; i < states.size(); ++i) {
    InputSummary& input = summary.inputs[i];
    input.fields = states[i].selector ? states[i].selector->describe() : "none (no records)";
    input.bom_stripped = states[i].bom_stripped;
    input.counts.bytes = states[i].bytes;
    input.raw_bytes = inputs.sources[i]->raw_bytes_read();
    input.sha256 = inputs.sources[i]->raw_sha256();
    summary.totals.add(input.counts);
  }
  Status reconciled = check_reconciled(summary);
  if (!reconciled.ok()) return reconciled.error();
  return summary;
}

}  // namespace airlock::pipeline
