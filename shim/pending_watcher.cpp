#include "pending_watcher.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "admission_message.h"
#include "oom_counter.h"
#include "watcher_start.h"

namespace vq {

PendingWatcher::~PendingWatcher() {
  if (m_fd >= 0) ::close(m_fd);
}

bool PendingWatcher::start(const std::string& program, const watch::WatchRequest& request) {
  // A socket pair rather than a pipe: send() with MSG_NOSIGNAL cannot raise SIGPIPE in the shim
  // when the watcher is gone.
  int admission[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, admission) != 0) return false;
  const bool started = start_pending_watcher(program, request, admission[0]);
  ::close(admission[0]);
  if (!started) {
    ::close(admission[1]);
    return false;
  }
  m_fd = admission[1];
  m_oom_file = watch::OomCounter::of(::getpid()).file();
  return true;
}

void PendingWatcher::tell(watch::WatchRequest outcome) {
  if (m_fd < 0) return;
  if (outcome.mode == watch::WatchRequest::Mode::watch) {
    outcome.oom_kills_before = watch::OomCounter::at(m_oom_file).read();
  }
  const std::string line = watch::admission_message(outcome);
  // One short send: the watcher reads it whole. A watcher already gone costs only the row.
  while (::send(m_fd, line.data(), line.size(), MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
  ::close(m_fd);
  m_fd = -1;
}

}  // namespace vq
