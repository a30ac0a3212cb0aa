#include "lock_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <thread>

#include "slot_table.h"

namespace vq {
namespace {

struct flock byte_range(short type, off_t start, off_t length) {
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = start;
  lock.l_len = length;
  return lock;
}

}  // namespace

Result<LockFile> LockFile::open(const QueueDir& dir) {
  auto fd = dir.open_file(k_lock_file, O_RDWR);
  if (!fd) return fd.error();
  return LockFile(*fd);
}

LockFile& LockFile::operator=(LockFile&& other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = other.m_fd;
    other.m_fd = -1;
  }
  return *this;
}

LockFile::~LockFile() {
  if (m_fd >= 0) ::close(m_fd);
}

LockFile::UpdateGuard::~UpdateGuard() {
  if (m_fd < 0) return;
  struct flock lock = byte_range(F_UNLCK, k_update_lock_byte, 1);
  ::fcntl(m_fd, F_SETLK, &lock);
}

Result<LockFile::UpdateGuard> LockFile::lock_update(std::chrono::milliseconds limit) {
  // F_SETLK with a short backoff instead of F_SETLKW, so the wait can be bounded.
  const auto deadline = std::chrono::steady_clock::now() + limit;
  auto pause = std::chrono::microseconds(20);
  for (;;) {
    struct flock lock = byte_range(F_WRLCK, k_update_lock_byte, 1);
    if (::fcntl(m_fd, F_SETLK, &lock) == 0) return UpdateGuard(m_fd);
    if (errno != EAGAIN && errno != EACCES && errno != EINTR) {
      return Error::from_errno("cannot lock the slot table");
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(2000));
  }
  struct flock probe = byte_range(F_WRLCK, k_update_lock_byte, 1);
  std::string who = ::fcntl(m_fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK
                        ? "pid " + std::to_string(probe.l_pid)
                        : "another process";
  return Error{"the slot table has been locked by " + who + " for over " +
               std::to_string(limit.count()) + " ms (stopped or stuck?)"};
}

Result<LockFile::UpdateGuard> LockFile::try_lock_update() {
  struct flock lock = byte_range(F_WRLCK, k_update_lock_byte, 1);
  if (::fcntl(m_fd, F_SETLK, &lock) != 0) return Error::from_errno("slot table busy");
  return UpdateGuard(m_fd);
}

bool LockFile::try_take_slot(int index) {
  struct flock lock = byte_range(F_WRLCK, k_first_slot_byte + index, 1);
  return ::fcntl(m_fd, F_SETLK, &lock) == 0;
}

std::vector<SlotHolder> LockFile::holders(int count) const {
  // F_GETLK reports *some* conflicting lock in a range, not the first; split the range around
  // each one found and search both sides. Costs about two calls per holder.
  std::vector<SlotHolder> found;
  std::vector<std::pair<off_t, off_t>> ranges{{k_first_slot_byte, k_first_slot_byte + count}};
  while (!ranges.empty()) {
    auto [begin, end] = ranges.back();
    ranges.pop_back();
    if (begin >= end) continue;
    struct flock probe = byte_range(F_WRLCK, begin, end - begin);
    if (::fcntl(m_fd, F_GETLK, &probe) != 0 || probe.l_type == F_UNLCK) continue;
    off_t first = probe.l_start < begin ? begin : probe.l_start;
    off_t last = probe.l_len == 0 ? end : probe.l_start + probe.l_len;  // 0: to end of file
    if (last > end) last = end;
    if (last <= first) last = first + 1;
    for (off_t byte = first; byte < last; ++byte) {
      found.push_back(SlotHolder{static_cast<int>(byte - k_first_slot_byte), probe.l_pid});
    }
    ranges.emplace_back(begin, first);
    ranges.emplace_back(last, end);
  }
  std::sort(found.begin(), found.end(),
            [](const SlotHolder& a, const SlotHolder& b) { return a.index < b.index; });
  return found;
}

Status LockFile::keep_across_exec() {
  int flags = ::fcntl(m_fd, F_GETFD);
  if (flags < 0 || ::fcntl(m_fd, F_SETFD, flags & ~FD_CLOEXEC) != 0) {
    return Error::from_errno("cannot keep the slot lock across exec");
  }
  return ok_status();
}

}  // namespace vq
