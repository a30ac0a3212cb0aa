// A recoverable failure as a value: what failed, of which kind, and why (errno where there is one).
#pragma once

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace vq {

// What kind of failure it is, so callers choose an exit status or a fallback without reading
// meaning into errno.
enum class ErrorKind {
  system,         // a system call failed; errno_value says why
  lock_stuck,     // the update lock stayed held past the wait by a stopped or stuck process
  lock_busy,      // the update lock changed hands all along the wait: many processes at once
  damaged_table,  // the slot table cannot be used as it is (newer layout, unreadable header)
  bad_config,     // a setting has a value vq cannot use
};

struct Error {
  std::string message;  // names the thing and the reason, ready for "vq: error: <message>"
  int errno_value = 0;
  ErrorKind kind = ErrorKind::system;

  // "<what>: <strerror(err)>" for a failed system call.
  static Error from_errno(std::string what, int err = errno) {
    return Error{std::move(what) + ": " + std::strerror(err), err, ErrorKind::system};
  }
  static Error of_kind(ErrorKind kind, std::string message) {
    return Error{std::move(message), 0, kind};
  }
};

// The update lock could not be had in time, whatever the reason: callers keep their place
// and try again, or report it with exit status 75.
inline bool is_lock_timeout(const Error& error) {
  return error.kind == ErrorKind::lock_stuck || error.kind == ErrorKind::lock_busy;
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_value(std::move(value)) {}
  Result(Error error) : m_value(std::move(error)) {}

  bool ok() const { return std::holds_alternative<T>(m_value); }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<T>(m_value); }
  const T& value() const { return std::get<T>(m_value); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  const Error& error() const { return std::get<Error>(m_value); }

 private:
  std::variant<T, Error> m_value;
};

// For operations that return nothing on success.
struct Done {};

// Success with no value, or an error: `return {};` on success.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Done) {}
  Result(Error error) : m_error(std::move(error)) {}

  bool ok() const { return !m_error.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *m_error; }

 private:
  std::optional<Error> m_error;
};

using Status = Result<Done>;
inline Status ok_status() {
  return Done{};
}

}  // namespace vq

// Returns the error of `expr` (a Result) from the enclosing function, which returns a Result too.
#define VQ_TRY(expr)                                                                  \
  do {                                                                                \
    if (auto vq_try_result_ = (expr); !vq_try_result_) return vq_try_result_.error(); \
  } while (0)

// Declares `name` as the Result of `expr` and returns its error from the enclosing function;
// afterwards `*name` is the value.
#define VQ_TRY_ASSIGN(name, expr) \
  auto name = (expr);             \
  if (!name) return name.error()
