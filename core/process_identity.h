// A process named by (pid, start time): a pid alone is reused by the kernel, the pair is not.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vq {

struct ProcessIdentity {
  pid_t pid = 0;
  std::uint64_t start_time = 0;  // clock ticks since boot, /proc/PID/stat field 22

  bool operator==(const ProcessIdentity&) const = default;
};

struct ProcStat {
  char state = '?';  // 'Z' (zombie) and 'X' (dead) have exited though /proc still lists them
  pid_t parent = 0;
  std::uint64_t start_time = 0;
  std::uint64_t cpu_ticks = 0;  // user + system time, own and of reaped children (fields 14-17)
  std::uint64_t rss_pages = 0;  // resident set (field 24)
};

// Stopped by job control or a signal (Ctrl-Z, SIGSTOP) or a tracer: alive, but not going on.
inline bool is_stopped(const ProcStat& stat) {
  return stat.state == 'T' || stat.state == 't';
}
// Exited, though /proc may still list it (a zombie not yet reaped).
inline bool has_exited(const ProcStat& stat) {
  return stat.state == 'Z' || stat.state == 'X';
}

// Parses the text of /proc/PID/stat; the command name may hold spaces and parentheses.
std::optional<ProcStat> parse_proc_stat(std::string_view text);
std::optional<ProcStat> read_proc_stat(pid_t pid);

std::optional<ProcessIdentity> identify(pid_t pid);
ProcessIdentity self_identity();

// True when `ancestor` is `pid` itself or one of its ancestors.
bool is_in_tree_of(pid_t pid, const ProcessIdentity& ancestor);

// "pid:start_time", the form of the nested-run marker VQ_HOLDER.
std::string to_marker(const ProcessIdentity& process);
std::optional<ProcessIdentity> parse_marker(std::string_view marker);

}  // namespace vq
