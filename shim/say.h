// The shim's messages to its user: one line to stderr, written at once (no stdio buffer to
// lose at exec or _Exit).
#pragma once

#include <unistd.h>

#include <string>

namespace vq {

inline void say(const std::string& line) {
  std::string text = line + "\n";
  ssize_t ignored = ::write(STDERR_FILENO, text.data(), text.size());
  (void)ignored;
}

}  // namespace vq
