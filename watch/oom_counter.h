// The OOM-kill counter of a process's memory cgroup: v1 `memory.oom_control` (`oom_kill N`),
// v2 `memory.events` (`oom_kill N`), found through /proc/PID/cgroup. A run "killed by the OOM
// killer" died by SIGKILL while this counter went up.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vq::watch {

// The file holding `pid`'s memory cgroup OOM-kill counter; empty when none is found. The v1
// memory controller wins where both hierarchies are mounted (hybrid), since it is the one
// whose limits kill.
std::string oom_counter_file(std::string_view proc_cgroup_text,
                             const std::string& cgroup_root = "/sys/fs/cgroup");

// The `oom_kill` value in the text of memory.oom_control or memory.events.
std::optional<std::uint64_t> parse_oom_kill(std::string_view text);

class OomCounter {
 public:
  // Finds the counter of `pid`'s cgroup now: the file is read again at the end, when the
  // process (and its /proc/PID/cgroup) may be gone.
  static OomCounter of(pid_t pid);
  // The counter in `file` (found earlier, e.g. by the shim); empty: none.
  static OomCounter at(std::string file);
  std::optional<std::uint64_t> read() const;
  const std::string& file() const { return m_file; }

 private:
  std::string m_file;
};

}  // namespace vq::watch
