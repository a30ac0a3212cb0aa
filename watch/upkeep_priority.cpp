#include "upkeep_priority.h"

#include <sched.h>
#include <signal.h>
#include <sys/time.h>

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

}  // namespace

void lower_priority_for_upkeep(std::chrono::milliseconds bound) {
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
