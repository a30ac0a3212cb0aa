// The database file itself, beneath SQLite: created with the right mode before SQLite opens it,
// checked like the queue's files, and moved aside when it cannot be read.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "result.h"

namespace vq::history {

struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const FileIdentity&) const = default;
};

// Creates the file at `path` when absent — 0600, or 0660 in a setgid directory (group mode's
// directories, whose files take the directory's group) — and checks it without following a
// symlink: a regular file with one link, owned by the caller (in a setgid directory: of the
// directory's group), writable by nobody else. SQLite creates its -wal and -shm files with the
// database file's mode, so they follow the same rule.
Result<FileIdentity> ensure_database_file(const std::string& path);

// Renames the file at `path` to `<path>.corrupt-<UTC time>` (its -wal and -shm files beside it)
// if it is still the file `judged` — under an flock, so of many processes that find one file
// unreadable at once exactly one moves it. Returns the new name, or "" when another process had
// moved it already.
Result<std::string> move_aside(const std::string& path, FileIdentity judged, std::int64_t now_ms);

}  // namespace vq::history
