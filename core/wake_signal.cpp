#include "wake_signal.h"

#include <fcntl.h>
#include <unistd.h>

namespace vq {
namespace {

void poke(const QueueDir& dir, const char* name) {
  // ENXIO (no reader) means nobody is listening: nothing to wake.
  if (auto fd = dir.open_fifo(name, O_WRONLY | O_NONBLOCK)) ::close(*fd);
}

}  // namespace

std::string turn_fifo_name(int index) {
  return std::string(k_wake_file) + "-" + std::to_string(index);
}

WakeListener::WakeListener(const QueueDir& dir, std::string name)
    : m_dir(dir), m_name(std::move(name)) {
  if (auto fd = m_dir.open_fifo(m_name.c_str(), O_RDONLY | O_NONBLOCK)) m_fd = *fd;
}

WakeListener::~WakeListener() {
  if (m_fd >= 0) ::close(m_fd);
}

void WakeListener::rearm() {
  if (m_fd >= 0) ::close(m_fd);
  m_fd = -1;
  if (auto fd = m_dir.open_fifo(m_name.c_str(), O_RDONLY | O_NONBLOCK)) m_fd = *fd;
}

void wake_waiters(const QueueDir& dir) {
  poke(dir, k_wake_file);
}

void wake_waiter(const QueueDir& dir, int index) {
  poke(dir, turn_fifo_name(index).c_str());
}

}  // namespace vq
