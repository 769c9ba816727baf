// Error and Result<T>: how every airlock library reports failure.
//
// No exception crosses a component boundary. A function that can fail returns
// Status (no value) or Result<T>; the error's kind fixes the process exit code
// the CLI uses (see docs/exit-codes in docs/cli.md and ../shared/DESIGN.md).
// Messages name the file, the line where there is one, and the reason, and
// never carry a value read from the input.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace airlock {

enum class ErrorKind {
  kUsage,    // bad command line or configuration: exit 2
  kInput,    // an input could not be read or decoded as a whole: exit 3
  kIo,       // writing or publishing an output failed: exit 3
  kInternal,  // a broken invariant (counts that do not reconcile): exit 3
  kRefused    // a gate said no (a run that does not verify may not leave): exit 1
};

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;

  int exit_code() const {
    if (kind == ErrorKind::kUsage) return 2;
    return kind == ErrorKind::kRefused ? 1 : 3;
  }
};

inline Error usage_error(std::string message) { return {ErrorKind::kUsage, std::move(message)}; }
inline Error input_error(std::string message) { return {ErrorKind::kInput, std::move(message)}; }
inline Error io_error(std::string message) { return {ErrorKind::kIo, std::move(message)}; }
inline Error internal_error(std::string message) { return {ErrorKind::kInternal, std::move(message)}; }
inline Error refused_error(std::string message) { return {ErrorKind::kRefused, std::move(message)}; }

// A value or an error. Deliberately small: ok(), value(), error(), and
// implicit construction from either side.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<T>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(state_));
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(state_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<Error>(state_);
  }

 private:
  std::variant<T, Error> state_;
};

// Result<void>: success or an error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT: implicit by design

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(failed_);
    return error_;
  }

 private:
  Error error_;
  bool failed_ = false;
};

inline Status ok_status() { return Status(); }

}  // namespace airlock
