#include "waiter_cancel.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "display_text.h"
#include "status_report.h"

namespace vq::admin {
namespace {

// A descriptor for `pid`, or -1 where the kernel has no pidfds (before 5.3): then the signal
// goes by pid, with the usual (tiny) reuse window.
int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

int send_terminate(int pidfd, pid_t pid) {
#ifdef SYS_pidfd_send_signal
  if (pidfd >= 0)
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, nullptr, 0));
#endif
  return ::kill(pid, SIGTERM);
}

}  // namespace

Result<std::string> cancel_waiter(QueueStore& queue, pid_t pid, std::chrono::milliseconds lock_wait,
                                  const std::string& who) {
  int pidfd = pid > 0 ? open_pidfd(pid) : -1;
  auto report = collect_status(queue, lock_wait);
  if (!report) {
    if (pidfd >= 0) ::close(pidfd);
    return report.error();
  }
  auto waiter = std::find_if(report->waiting.begin(), report->waiting.end(),
                             [&](const WaitingRun& run) { return run.pid == pid; });
  if (waiter == report->waiting.end()) {
    if (pidfd >= 0) ::close(pidfd);
    return Error{"PID " + std::to_string(pid) + " is not waiting in the queue " +
                     report->queue_dir + " (admitted, gone, or never queued) — reload the page",
                 ESRCH, ErrorKind::system};
  }
  int sent = send_terminate(pidfd, pid);
  int err = errno;
  if (pidfd >= 0) ::close(pidfd);
  if (sent != 0) {
    return Error::from_errno(
        "cannot send SIGTERM to waiter PID " + std::to_string(pid) +
            (err == EPERM ? " (another user's run: only its owner or root may cancel it)" : ""),
        err);
  }
  QueueEvent event{EventType::cancelled, waiter->agent.empty() ? "-" : waiter->agent};
  event.waiter = pid;
  event.detail = who;
  queue.record(event);
  return "Sent SIGTERM to waiter PID " + std::to_string(pid) +
         (waiter->agent.empty() ? "" : " (" + display_text(waiter->agent) + ")") +
         ": it leaves the queue.";
}

}  // namespace vq::admin
