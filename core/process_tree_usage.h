// Memory and CPU of a process and everything it started (vitest and its workers), from /proc.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vq {

struct TreeUsage {
  std::uint64_t rss_bytes = 0;  // resident memory summed over the tree
  // User + system time of the tree, including children it has already reaped (so the sum does
  // not drop when a worker exits), in clock ticks.
  std::uint64_t cpu_ticks = 0;
  int processes = 0;
};

// Parent, resident size and CPU time of processes, read from /proc/PID/stat.
class ProcessSnapshot {
 public:
  // Every process on the machine, in one pass over `proc`.
  static ProcessSnapshot take(const std::string& proc = "/proc");
  // At least the trees of `roots`. Where the kernel lists each task's children
  // (CONFIG_PROC_CHILDREN: /proc/PID/task/TID/children), only those trees are read; otherwise
  // every process is, as take() does. Reading one process's stat costs about 15 us of kernel
  // time, so on a machine with hundreds of processes this is most of what `status` costs.
  static ProcessSnapshot take_trees(const std::vector<pid_t>& roots,
                                    const std::string& proc = "/proc");

  // nullopt when `root` is not in the snapshot (gone).
  std::optional<TreeUsage> tree_usage(pid_t root) const;
  // `root` and every process below it in the snapshot, root first; empty when `root` is gone.
  std::vector<pid_t> tree_pids(pid_t root) const;

  std::chrono::steady_clock::time_point taken_at() const { return m_taken_at; }

 private:
  struct Entry {
    pid_t parent = 0;
    std::uint64_t rss_pages = 0;
    std::uint64_t cpu_ticks = 0;
  };
  // Reads PID's stat into the snapshot; false when it is gone or unreadable.
  bool add(int proc_fd, pid_t pid);

  std::map<pid_t, Entry> m_entries;
  std::map<pid_t, std::vector<pid_t>> m_children;
  std::chrono::steady_clock::time_point m_taken_at;
};

// CPU use of a tree over `seconds` of its life, in percent of one core; nullopt when no time
// has passed.
std::optional<double> average_cpu_percent(const TreeUsage& usage, double seconds);

// Seconds since process `pid` started (/proc/PID/stat field 22 against /proc/uptime).
std::optional<double> process_age_s(pid_t pid);

// CPU use of `root`'s tree between two snapshots, in percent of one core (a tree busy on two
// cores shows 200%); nullopt when either snapshot lacks it or no time passed.
std::optional<double> cpu_percent(pid_t root, const ProcessSnapshot& before,
                                  const ProcessSnapshot& after);

}  // namespace vq
