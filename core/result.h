// A recoverable failure as a value: what failed, why (errno where there is one).
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <variant>

namespace vq {

struct Error {
  std::string message;  // names the thing and the reason, ready for "vq: error: <message>"
  int errno_value = 0;

  // "<what>: <strerror(err)>" for a failed system call.
  static Error from_errno(std::string what, int err = errno) {
    return Error{std::move(what) + ": " + std::strerror(err), err};
  }
};

template <typename T>
class Result {
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
  const Error& error() const { return std::get<Error>(m_value); }

 private:
  std::variant<T, Error> m_value;
};

// For operations that return nothing on success.
struct Done {};
using Status = Result<Done>;
inline Status ok_status() {
  return Done{};
}

}  // namespace vq
