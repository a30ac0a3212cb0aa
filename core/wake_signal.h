// Waking waiters: all of them when the table header changes (vq-admin limit, resume), or one of
// them when its turn may have come (the waiter ahead of it was admitted).
//
// Waiters sleep on pidfds; a header change or an admission is no process exit, so without this
// they would see it only on their rescan tick. Each waiter keeps the read end of two FIFOs in the
// queue directory open and polls them: `wake`, shared by all, and `wake-J`, its own (J is its
// waiter record). A waker opens the write end and closes it at once. The kernel then reports
// POLLHUP to every reader that opened the FIFO before, and keeps reporting it until the reader
// reopens. A FIFO costs one descriptor per reader and no per-user kernel quota (inotify
// instances are capped at 128 per user by default, which a crowd of waiters would exhaust,
// breaking other programs' file watching).
#pragma once

#include <string>

#include "queue_dir.h"

namespace vq {

// The FIFO that wakes the waiter holding waiter record `index` alone.
std::string turn_fifo_name(int index);

class WakeListener {
 public:
  // Never fails: without the FIFO (fd() == -1) the rescan tick still notices every change.
  explicit WakeListener(const QueueDir& dir, std::string name = k_wake_file);
  ~WakeListener();
  WakeListener(const WakeListener&) = delete;
  WakeListener& operator=(const WakeListener&) = delete;

  int fd() const { return m_fd; }

  // Call after a wake-up and before rescanning the table: a change made after the rescan must
  // wake us again, so the new read end has to exist before we look.
  void rearm();

 private:
  const QueueDir& m_dir;
  std::string m_name;
  int m_fd = -1;
};

// Wakes every waiter of the queue. Call after the header change is written and the update lock
// released. Without waiters (nobody has the read end open) there is nothing to do.
void wake_waiters(const QueueDir& dir);

// Wakes the waiter holding waiter record `index` (if the record changed hands since, its new
// owner rescans for nothing). Call with the update lock released, so it can rescan at once.
void wake_waiter(const QueueDir& dir, int index);

}  // namespace vq
