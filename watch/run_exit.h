// How a process that is not our child ended. waitid() is only for its parent, so: the kernel's
// exit information kept on the pidfd (PIDFD_GET_INFO with PIDFD_INFO_EXIT, Linux 6.15 and
// later; readable after the parent has reaped it), else the zombie's /proc/PID/stat field 52
// (only until the parent reaps it, so racy), else unknown — never a guess.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string_view>

namespace vq::watch {

// A wait status as waitpid(2) reports it (WIFEXITED, WTERMSIG ...).
using WaitStatus = int;

// The exit wait status from the pidfd; nullopt before the kernel has it (not yet reaped) or on
// a kernel without PIDFD_GET_INFO.
std::optional<WaitStatus> pidfd_exit_status(int pidfd);

// Field 52 (exit_code) of a /proc/PID/stat text, when the process is a zombie ('Z').
std::optional<WaitStatus> zombie_exit_status(std::string_view stat_text);

// Watches one process's end: its pidfd and its stat file, both opened while it runs.
class ExitWatch {
 public:
  // Opens a pidfd for `pid` and checks its start time, so a reused pid is never watched;
  // nullopt when `pid` with that start time is not running (any more).
  static std::optional<ExitWatch> open(pid_t pid, std::uint64_t start_time);
  // Adopts `pidfd`, a pidfd of the run the shim opened on itself and passed down, so a run that
  // ends before the watcher is up is not lost; a /proc entry still there must show
  // `start_time`. Closes `pidfd` and returns nullopt when it does not.
  static std::optional<ExitWatch> adopt(int pidfd, pid_t pid, std::uint64_t start_time);
  ExitWatch(ExitWatch&& other) noexcept;
  ExitWatch& operator=(ExitWatch&&) = delete;
  ExitWatch(const ExitWatch&) = delete;
  ~ExitWatch();

  int pidfd() const { return m_pidfd; }
  // After the pidfd became readable: the wait status, or nullopt when neither source has it.
  std::optional<WaitStatus> collect() const;

 private:
  ExitWatch(int pidfd, int stat_fd) : m_pidfd(pidfd), m_stat_fd(stat_fd) {}
  int m_pidfd = -1;
  int m_stat_fd = -1;
};

}  // namespace vq::watch
