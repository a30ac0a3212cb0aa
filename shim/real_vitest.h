// Finding the real vitest that a shim launch stands for.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace vq {

struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const FileIdentity&) const = default;
};

// (st_dev, st_ino) of what `path` names after following symlinks.
std::optional<FileIdentity> file_identity(const std::string& path);

struct RealVitestQuery {
  std::string override_path;  // VQ_REAL_VITEST
  std::string cwd;
  std::string path_variable;  // PATH
  FileIdentity self;          // the shim itself, from /proc/self/exe
};

struct RealVitest {
  enum class Outcome { found, not_found, not_executable, loop };
  Outcome outcome = Outcome::not_found;
  std::string path;    // when found; when a loop, what pointed back at the shim
  std::string reason;  // when not found or a loop: one sentence for the user
};

// VQ_REAL_VITEST if set; else the nearest node_modules/.bin/vitest from cwd upward; else the
// next executable `vitest` on PATH. Anything that is the shim itself (same device and inode,
// whatever its name or link) is skipped; an override naming the shim is a loop.
RealVitest find_real_vitest(const RealVitestQuery& query);

}  // namespace vq
