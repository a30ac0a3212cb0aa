// Learned memory estimates where a launch can read them cheaply: a small text file in the queue
// directory, one line per project ("BYTES SAMPLES PROJECT"), written by whoever reads the run
// history (the history needs SQLite, which the static shim does not link), read by the shim.
// It is one of the queue directory's files (queue_dir.h): 0600, in group mode 0660 of the
// group, so every member's shim reads it and every member's watcher rewrites it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "result.h"

namespace vq {

inline constexpr const char* k_estimates_file = "memory-estimates";

// The project a vitest belongs to: the directory holding its node_modules (the package.json
// directory), from the path of the real vitest; for a vitest outside any node_modules, the
// nearest directory above it with a package.json; "" when there is none.
std::string project_of_vitest(const std::string& real_vitest);

struct CachedEstimate {
  std::uint64_t bytes = 0;
  int samples = 0;
};

// Read under a shared flock, so a rewrite in progress is never seen half done.
std::optional<CachedEstimate> cached_estimate(const std::string& queue_dir,
                                              const std::string& project);

// Replaces (or adds) `project`'s line, rewriting the file in place under an exclusive flock
// (not by rename: in group mode's sticky directory a member cannot rename over another
// member's file). `group`: the queue's group in group mode (VQ_GROUP), as QueueDir::open takes
// it; a file an older vq made 0600 in group mode is opened up to 0660 by its owner.
Status store_estimate(const std::string& queue_dir, const std::string& project,
                      const CachedEstimate& estimate, std::optional<gid_t> group = std::nullopt);

}  // namespace vq
