#include "upkeep_priority.h"

#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>

namespace vq::watch {
namespace {

constexpr long k_retry_us = 50'000;

// sched_setscheduler and setitimer are async-signal-safe; SCHED_OTHER keeps the nice level.
// Then the timer is disarmed: it repeats until here, in case a tick went to a handler that some
// other code had put in place for a moment (core/lock_file's wait ticks use SIGALRM too).
void back_to_normal_class(int) {
  sched_param normal{};
  ::sched_setscheduler(0, SCHED_OTHER, &normal);
  itimerval off{};
  ::setitimer(ITIMER_REAL, &off, nullptr);
}

bool has_cap_sys_nice() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  return (data[CAP_SYS_NICE / 32].effective & (1u << (CAP_SYS_NICE % 32))) != 0;
}

// Whether the calling process could come back from SCHED_IDLE.
bool could_leave_idle_class() {
  errno = 0;
  const int nice = ::getpriority(PRIO_PROCESS, 0);
  if (errno != 0) return false;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NICE, &limit) != 0) return false;
  const std::uint64_t nice_limit =
      limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<std::uint64_t>(limit.rlim_cur);
  return may_leave_idle_class(nice, nice_limit, has_cap_sys_nice());
}

}  // namespace

bool may_leave_idle_class(int nice, std::uint64_t nice_limit, bool has_cap_sys_nice) {
  return has_cap_sys_nice || static_cast<std::uint64_t>(20 - nice) <= nice_limit;
}

void lower_priority_for_upkeep(std::chrono::milliseconds bound) {
  if (!could_leave_idle_class()) {
    ::setpriority(PRIO_PROCESS, 0, 19);
    return;
  }
  struct sigaction action {};
  action.sa_handler = back_to_normal_class;
  action.sa_flags = SA_RESTART;  // SQLite's and the estimate file's calls go on as if nothing
  sigemptyset(&action.sa_mask);
  if (::sigaction(SIGALRM, &action, nullptr) != 0) return;
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(bound).count();
  itimerval bound_then_retries{};
  bound_then_retries.it_value.tv_sec = us / 1'000'000;
  bound_then_retries.it_value.tv_usec = us % 1'000'000;
  bound_then_retries.it_interval.tv_usec = k_retry_us;
  // Armed first: an idle-class process may not run again soon enough to arm it later.
  if (::setitimer(ITIMER_REAL, &bound_then_retries, nullptr) != 0) return;
  sched_param idle{};
  ::sched_setscheduler(0, SCHED_IDLE, &idle);
}

}  // namespace vq::watch
