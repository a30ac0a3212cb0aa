// Learned memory estimates where a launch can read them cheaply: a small text file in the queue
// directory, one line per project ("BYTES SAMPLES PROJECT"), written by whoever reads the run
// history (the history needs SQLite, which the static shim does not link), read by the shim.
#pragma once

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

std::optional<CachedEstimate> cached_estimate(const std::string& queue_dir,
                                              const std::string& project);

// Replaces (or adds) `project`'s line; written to a temporary file renamed over the old one, so a
// reader sees the old file or the new one, never half of one. Concurrent writers: the last
// rename wins, a line another wrote meanwhile is learned again on its next run.
Status store_estimate(const std::string& queue_dir, const std::string& project,
                      const CachedEstimate& estimate);

}  // namespace vq
