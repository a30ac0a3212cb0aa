// One look at a run's whole process tree: its memory (PSS, or RSS where PSS cannot be read) and
// its CPU time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vq::watch {

struct TreeSample {
  // The sum of Pss over the tree: pages shared by forked workers count once in total, where
  // summing RSS counts them once per process.
  std::int64_t memory_bytes = 0;
  bool memory_is_rss = false;  // some process's PSS was unreadable: RSS summed for all instead
  std::int64_t cpu_ms = 0;     // utime+stime+cutime+cstime over the tree (reaped workers count)
  int processes = 0;
};

// The `Pss:` line of a smaps_rollup text, in bytes; nullopt when it has none.
std::optional<std::int64_t> parse_pss_bytes(std::string_view smaps_rollup);

// The tree below and including `root`; nullopt when `root` is gone.
std::optional<TreeSample> sample_tree(pid_t root, const std::string& proc = "/proc");

}  // namespace vq::watch
