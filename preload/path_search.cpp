#include "path_search.h"

#include <sys/stat.h>
#include <unistd.h>

#include "bounded_text.h"

namespace vq::preload {
namespace {

// glibc's default when PATH is unset (confstr(_CS_PATH)).
constexpr char k_default_path[] = "/bin:/usr/bin";

// glibc tries execve on each candidate and moves on past EACCES and "not there" errors; a
// candidate is taken when it is a regular file we may execute.
bool runnable(const char* candidate) {
  struct stat info {};
  return ::stat(candidate, &info) == 0 && S_ISREG(info.st_mode) && ::access(candidate, X_OK) == 0;
}

}  // namespace

bool search_path(const char* file, const char* path_variable, char* out, std::size_t capacity) {
  if (file == nullptr || file[0] == '\0' || capacity == 0) return false;
  out[0] = '\0';
  if (std::strchr(file, '/') != nullptr) return append(out, capacity, file);
  const char* path = path_variable != nullptr ? path_variable : k_default_path;
  const char* entry = path;
  while (true) {
    const char* end = std::strchr(entry, ':');
    std::size_t length =
        end != nullptr ? static_cast<std::size_t>(end - entry) : std::strlen(entry);
    out[0] = '\0';
    // An empty entry means the working directory: glibc then runs the bare name.
    bool fits = append(out, capacity, entry, length) &&
                (length == 0 || append(out, capacity, "/")) && append(out, capacity, file);
    if (fits && runnable(out)) return true;
    if (end == nullptr) break;
    entry = end + 1;
  }
  out[0] = '\0';
  return false;
}

}  // namespace vq::preload
