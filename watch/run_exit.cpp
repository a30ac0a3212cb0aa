#include "run_exit.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <string>

#include "process_identity.h"

namespace vq::watch {
namespace {

// From linux/pidfd.h of Linux 6.15, which Debian 12's headers (6.1) predate. The kernel takes
// the struct's size from the ioctl number and accepts this first version (64 bytes) for ever.
struct PidfdInfo {
  std::uint64_t mask;
  std::uint64_t cgroupid;
  std::uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  std::int32_t exit_code;
};
static_assert(sizeof(PidfdInfo) == 64);
constexpr unsigned long k_pidfd_get_info = _IOWR(0xFF, 11, PidfdInfo);
constexpr std::uint64_t k_pidfd_info_exit = 1u << 3;

void sleep_ms(int ms) {
  timespec pause{0, ms * 1'000'000L};
  ::nanosleep(&pause, nullptr);
}

}  // namespace

std::optional<WaitStatus> pidfd_exit_status(int pidfd) {
  PidfdInfo info{};
  info.mask = k_pidfd_info_exit;
  if (::ioctl(pidfd, k_pidfd_get_info, &info) != 0) return std::nullopt;
  if ((info.mask & k_pidfd_info_exit) == 0) return std::nullopt;
  return info.exit_code;
}

std::optional<WaitStatus> zombie_exit_status(std::string_view stat_text) {
  // Fields after the command name, which may hold spaces and parentheses: state is field 3.
  std::size_t close = stat_text.rfind(')');
  if (close == std::string_view::npos || close + 2 >= stat_text.size()) return std::nullopt;
  if (stat_text[close + 2] != 'Z') return std::nullopt;
  std::size_t at = close + 2;
  for (int field = 3; field < 52; ++field) {
    at = stat_text.find(' ', at);
    if (at == std::string_view::npos) return std::nullopt;
    ++at;
  }
  int code = 0;
  auto [end, ec] =
      std::from_chars(stat_text.data() + at, stat_text.data() + stat_text.size(), code);
  if (ec != std::errc()) return std::nullopt;
  return code;
}

std::optional<ExitWatch> ExitWatch::open(pid_t pid, std::uint64_t start_time) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return std::nullopt;
  // The pidfd names one process for good; the start time read after opening it tells whether
  // that process is the run (and not a process that got its pid since).
  auto identity = identify(pid);
  if (!identity || identity->start_time != start_time) {
    ::close(pidfd);
    return std::nullopt;
  }
  std::string stat_path = "/proc/" + std::to_string(pid) + "/stat";
  int stat_fd = ::open(stat_path.c_str(), O_RDONLY | O_CLOEXEC);
  return ExitWatch(pidfd, stat_fd);
}

std::optional<ExitWatch> ExitWatch::adopt(int pidfd, pid_t pid, std::uint64_t start_time) {
  std::string stat_path = "/proc/" + std::to_string(pid) + "/stat";
  int stat_fd = ::open(stat_path.c_str(), O_RDONLY | O_CLOEXEC);
  // Gone from /proc already (reaped): the pidfd still holds its exit status (6.15+).
  auto identity = identify(pid);
  if (identity && identity->start_time != start_time) {
    ::close(pidfd);
    if (stat_fd >= 0) ::close(stat_fd);
    return std::nullopt;
  }
  ::fcntl(pidfd, F_SETFD, FD_CLOEXEC);
  return ExitWatch(pidfd, stat_fd);
}

ExitWatch::ExitWatch(ExitWatch&& other) noexcept
    : m_pidfd(other.m_pidfd), m_stat_fd(other.m_stat_fd) {
  other.m_pidfd = -1;
  other.m_stat_fd = -1;
}

ExitWatch::~ExitWatch() {
  if (m_pidfd >= 0) ::close(m_pidfd);
  if (m_stat_fd >= 0) ::close(m_stat_fd);
}

std::optional<WaitStatus> ExitWatch::collect() const {
  if (auto status = pidfd_exit_status(m_pidfd)) return status;
  // Not reaped yet (or an older kernel): the zombie still shows its exit code.
  if (m_stat_fd >= 0) {
    char text[1024];
    ssize_t n = ::pread(m_stat_fd, text, sizeof text, 0);
    if (n > 0) {
      if (auto status = zombie_exit_status(std::string_view(text, static_cast<std::size_t>(n)))) {
        return status;
      }
    }
  }
  // Reaped between the two reads: the kernel keeps the status on the pidfd from then on
  // (6.15+). A short retry covers a parent reaping just now.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (auto status = pidfd_exit_status(m_pidfd)) return status;
    sleep_ms(2);
  }
  return std::nullopt;
}

}  // namespace vq::watch
