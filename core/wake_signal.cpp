#include "wake_signal.h"

#include <fcntl.h>
#include <unistd.h>

namespace vq {

WakeListener::WakeListener(const QueueDir& dir) : m_dir(dir) {
  if (auto fd = m_dir.open_fifo(k_wake_file, O_RDONLY | O_NONBLOCK)) m_fd = *fd;
}

WakeListener::~WakeListener() {
  if (m_fd >= 0) ::close(m_fd);
}

void WakeListener::rearm() {
  if (m_fd >= 0) ::close(m_fd);
  m_fd = -1;
  if (auto fd = m_dir.open_fifo(k_wake_file, O_RDONLY | O_NONBLOCK)) m_fd = *fd;
}

void wake_waiters(const QueueDir& dir) {
  // ENXIO (no reader) means no waiter is listening: nothing to wake.
  if (auto fd = dir.open_fifo(k_wake_file, O_WRONLY | O_NONBLOCK)) ::close(*fd);
}

}  // namespace vq
