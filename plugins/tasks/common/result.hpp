// Small error-or-value type shared by the task libraries (sudoku, maze, gridnav). Each task's
// namespace takes it in with using-declarations (see its grid.hpp), so the task code writes
// Result<T>, Status and Error unqualified.
//
// The task code reports bad input (wrong length, illegal characters, missing start or goal,
// contradictory givens, ...) as values instead of exceptions so that the plugin wrapper can turn
// them into C ABI status codes without try/catch at every call site.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace hrm::task {

// What went wrong, and where. `row`/`col` are 0-based (-1 when the error has no
// position); `message` is human readable and already names the position 1-based.
struct Error {
  std::string message;
  int row = -1;
  int col = -1;
};

template <class T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Error error) : error_(std::move(error)) {}  // NOLINT

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return *value_; }
  T& value() & { return *value_; }
  T&& value() && { return std::move(*value_); }
  const T& operator*() const { return *value_; }
  const T* operator->() const { return &*value_; }
  const Error& error() const { return error_; }

 private:
  std::optional<T> value_;
  Error error_;
};

// A Result without a value: ok, or an Error.
class Status {
 public:
  Status() = default;
  Status(Error error) : failed_(true), error_(std::move(error)) {}  // NOLINT
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return error_; }

 private:
  bool failed_ = false;
  Error error_;
};

}  // namespace hrm::task
