// Finding the real vitest that a shim launch stands for.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  // Other vq shims this launch already went through (VQ_SHIM_CHAIN): a second installation of
  // vq on PATH is another file, so only this list tells it apart from a real vitest.
  std::vector<FileIdentity> shims_seen;
};

// VQ_SHIM_CHAIN holds "device:inode" entries separated by commas.
std::vector<FileIdentity> parse_shim_chain(std::string_view text);
std::string format_shim_chain(const std::vector<FileIdentity>& chain);

struct RealVitest {
  enum class Outcome { found, not_found, not_executable, loop };
  Outcome outcome = Outcome::not_found;
  std::string path;    // when found; when a loop, what pointed back at the shim
  std::string reason;  // when not found or a loop: one sentence for the user
};

// VQ_REAL_VITEST if set; else the nearest node_modules/.bin/vitest from cwd upward; else the
// next executable `vitest` on PATH. Anything that is the shim itself or a shim already in the
// chain (same device and inode, whatever its name or link) is skipped; an override naming one
// is a loop.
RealVitest find_real_vitest(const RealVitestQuery& query);

}  // namespace vq
