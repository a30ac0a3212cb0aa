// Waking waiters when the table header changes (vq-admin limit, resume).
//
// Waiters sleep on pidfds of the holders and of the waiters ahead; a header change is none of
// those, so without this they would see it only on their rescan tick. Each waiter keeps the
// read end of a FIFO in the queue directory open and polls it too; vq-admin, after changing the
// header under the update lock, opens the write end and closes it at once. The kernel then
// reports POLLHUP to every reader that opened the FIFO before, and keeps reporting it until the
// reader reopens. A FIFO costs one descriptor per waiter and no per-user kernel quota (inotify
// instances are capped at 128 per user by default, which a crowd of waiters would exhaust,
// breaking other programs' file watching).
#pragma once

#include "queue_dir.h"

namespace vq {

class WakeListener {
 public:
  // Never fails: without the FIFO (fd() == -1) the rescan tick still notices every change.
  explicit WakeListener(const QueueDir& dir);
  ~WakeListener();
  WakeListener(const WakeListener&) = delete;
  WakeListener& operator=(const WakeListener&) = delete;

  int fd() const { return m_fd; }

  // Call after a wake-up and before rescanning the table: a change made after the rescan must
  // wake us again, so the new read end has to exist before we look.
  void rearm();

 private:
  const QueueDir& m_dir;
  int m_fd = -1;
};

// Wakes every waiter of the queue. Call after the header change is written and the update lock
// released. Without waiters (nobody has the read end open) there is nothing to do.
void wake_waiters(const QueueDir& dir);

}  // namespace vq
