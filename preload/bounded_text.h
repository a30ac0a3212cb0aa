// Heap-free string handling for code that runs inside exec hooks: NUL-terminated C strings and
// fixed caller buffers only, so nothing here can allocate, throw or pull in libstdc++.
#pragma once

#include <cstddef>
#include <cstring>

namespace vq::preload {

inline bool equals(const char* a, const char* b) {
  return std::strcmp(a, b) == 0;
}

inline bool starts_with(const char* text, const char* prefix) {
  return std::strncmp(text, prefix, std::strlen(prefix)) == 0;
}

inline bool ends_with(const char* text, const char* suffix) {
  std::size_t n = std::strlen(text);
  std::size_t m = std::strlen(suffix);
  return n >= m && std::memcmp(text + n - m, suffix, m) == 0;
}

// The part after the last '/'.
inline const char* base_name(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash != nullptr ? slash + 1 : path;
}

// Appends `count` bytes of `text` to the NUL-terminated string in `buffer`; false (buffer
// unchanged in meaning: the caller gives up) when the result would not fit.
inline bool append(char* buffer, std::size_t capacity, const char* text, std::size_t count) {
  std::size_t used = std::strlen(buffer);
  if (used + count + 1 > capacity) return false;
  std::memcpy(buffer + used, text, count);
  buffer[used + count] = '\0';
  return true;
}

inline bool append(char* buffer, std::size_t capacity, const char* text) {
  return append(buffer, capacity, text, std::strlen(text));
}

}  // namespace vq::preload
