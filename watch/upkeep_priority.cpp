#include "upkeep_priority.h"

#include <sched.h>
#include <signal.h>
#include <sys/time.h>

namespace vq::watch {
namespace {

// sched_setscheduler is async-signal-safe; SCHED_OTHER keeps the process's nice level.
void back_to_normal_class(int) {
  sched_param normal{};
  ::sched_setscheduler(0, SCHED_OTHER, &normal);
}

}  // namespace

void lower_priority_for_upkeep(std::chrono::milliseconds bound) {
  struct sigaction action {};
  action.sa_handler = back_to_normal_class;
  action.sa_flags = SA_RESTART;  // SQLite's and the estimate file's calls go on as if nothing
  sigemptyset(&action.sa_mask);
  if (::sigaction(SIGALRM, &action, nullptr) != 0) return;
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(bound).count();
  itimerval once{};
  once.it_value.tv_sec = us / 1'000'000;
  once.it_value.tv_usec = us % 1'000'000;
  // Armed first: an idle-class process may not run again soon enough to arm it later.
  if (::setitimer(ITIMER_REAL, &once, nullptr) != 0) return;
  sched_param idle{};
  ::sched_setscheduler(0, SCHED_IDLE, &idle);
}

}  // namespace vq::watch
