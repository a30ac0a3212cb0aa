// PATH search as glibc's execvp and posix_spawnp do it, into a caller's buffer (no heap).
#pragma once

#include <cstddef>

namespace vq::preload {

// The file glibc's execvp / posix_spawnp would run for `file` given PATH `path_variable`
// (nullptr: unset, glibc then uses "/bin:/usr/bin"; an empty entry means the working directory).
// A name containing '/' is used as it is. Like glibc, candidates that exist but may not be
// executed are skipped. Writes a NUL-terminated path into `out` and returns true, or returns
// false when nothing executable is found or a path does not fit.
bool search_path(const char* file, const char* path_variable, char* out, std::size_t capacity);

}  // namespace vq::preload
