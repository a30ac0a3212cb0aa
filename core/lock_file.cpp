#include "lock_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string>
#include <thread>

#include "process_identity.h"
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

std::optional<pid_t> holder_of(int fd, off_t byte) {
  struct flock probe = byte_range(F_WRLCK, byte, 1);
  if (::fcntl(fd, F_GETLK, &probe) != 0 || probe.l_type == F_UNLCK) return std::nullopt;
  return probe.l_pid;
}

// High, clear of the numbers scripts pick by hand (3-9, and 200 of the `exec 200>lock; flock
// 200` idiom), yet under the open-file limit.
int lock_fd_floor() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 900;
  if (limit.rlim_cur >= 1024) return 900;
  return limit.rlim_cur > 32 ? static_cast<int>(limit.rlim_cur) - 16 : 10;
}

void on_wait_tick(int) {}

// While alive, SIGALRM interrupts a blocking fcntl in this thread every `tick` (a no-op handler
// without SA_RESTART), so F_SETLKW can be bounded: a repeating timer, because a single one could
// fire just before the call starts to block, and one aimed at this thread (SIGEV_THREAD_ID), so
// another thread cannot take the tick. Restores the handler and mask it found.
class WaitTicks {
 public:
  explicit WaitTicks(std::chrono::microseconds tick) {
    struct sigaction quiet {};
    quiet.sa_handler = on_wait_tick;
    sigemptyset(&quiet.sa_mask);
    ::sigaction(SIGALRM, &quiet, &m_old_action);
    sigset_t alarm_only;
    sigemptyset(&alarm_only);
    sigaddset(&alarm_only, SIGALRM);
    ::pthread_sigmask(SIG_UNBLOCK, &alarm_only, &m_old_mask);
    sigevent event{};
    event.sigev_notify = SIGEV_THREAD_ID;
    event.sigev_signo = SIGALRM;
    event._sigev_un._tid = ::gettid();
    if (::timer_create(CLOCK_MONOTONIC, &event, &m_timer) != 0) return;
    m_armed = true;
    itimerspec period{};
    period.it_value.tv_nsec = static_cast<long>(tick.count()) * 1000;
    period.it_interval = period.it_value;
    ::timer_settime(m_timer, 0, &period, nullptr);
  }
  ~WaitTicks() {
    int saved_errno = errno;
    // A tick raised before the timer went was delivered on return from that call, to the no-op
    // handler still in place.
    if (m_armed) ::timer_delete(m_timer);
    ::sigaction(SIGALRM, &m_old_action, nullptr);
    ::pthread_sigmask(SIG_SETMASK, &m_old_mask, nullptr);
    errno = saved_errno;
  }
  WaitTicks(const WaitTicks&) = delete;
  WaitTicks& operator=(const WaitTicks&) = delete;
  bool armed() const { return m_armed; }

 private:
  struct sigaction m_old_action {};
  sigset_t m_old_mask{};
  timer_t m_timer{};
  bool m_armed = false;
};

}  // namespace

Error update_lock_timeout(std::optional<pid_t> first_holder, std::optional<pid_t> last_holder,
                          bool last_stopped, std::chrono::milliseconds limit) {
  const std::string ms = std::to_string(limit.count());
  if (last_holder && first_holder && *first_holder != *last_holder && !last_stopped) {
    return Error{"the slot table stayed busy for over " + ms +
                     " ms: many vq processes took turns with its lock (last pid " +
                     std::to_string(*last_holder) + ")",
                 ETIMEDOUT, ErrorKind::lock_busy};
  }
  std::string who = last_holder ? "pid " + std::to_string(*last_holder) : "another process";
  return Error{"the slot table has been locked by " + who + " for over " + ms + " ms (" +
                   (last_stopped ? "stopped" : "stopped or stuck?") + ")",
               ETIMEDOUT, ErrorKind::lock_stuck};
}

Result<LockFile> LockFile::open(const QueueDir& dir) {
  auto fd = dir.open_file(k_lock_file, O_RDWR);
  if (!fd) return fd.error();
  // Move it high before any lock is taken (closing the low copy now drops nothing). A launcher
  // script that redirects a low descriptor, or a closed stdio slot it landed in, could otherwise
  // close it under vitest and drop the slot.
  int high = ::fcntl(*fd, F_DUPFD_CLOEXEC, lock_fd_floor());
  if (high >= 0) {
    ::close(*fd);
    return LockFile(high);
  }
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
  ::sigprocmask(SIG_SETMASK, &m_saved_mask, nullptr);
}

Result<LockFile::UpdateGuard> LockFile::lock_update(std::chrono::milliseconds limit) {
  sigset_t stops, saved;
  sigemptyset(&stops);
  for (int signal : {SIGTSTP, SIGTTIN, SIGTTOU}) sigaddset(&stops, signal);
  ::sigprocmask(SIG_BLOCK, &stops, &saved);

  // Uncontended, one F_SETLK. Otherwise F_SETLKW: the kernel hands the lock over the moment
  // its holder lets go (polling with backoff waited up to 2 ms more per try when many waiters
  // woke together). Ticks bound the wait; a stopped or stuck holder is reported below. Without a
  // timer (none left), the old way: F_SETLK with a short backoff.
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int error = 0;
  std::optional<pid_t> first_holder;
  {
    struct flock lock = byte_range(F_WRLCK, k_update_lock_byte, 1);
    if (::fcntl(m_fd, F_SETLK, &lock) == 0) return UpdateGuard(m_fd, saved);
    error = errno;
    first_holder = holder_of(m_fd, k_update_lock_byte);
    std::optional<WaitTicks> ticks;
    if (error == EAGAIN || error == EACCES) ticks.emplace(std::chrono::microseconds(50'000));
    const bool blocking = ticks && ticks->armed();
    auto pause = std::chrono::microseconds(20);
    while (error == EAGAIN || error == EACCES || error == EINTR || error == EDEADLK) {
      if (std::chrono::steady_clock::now() >= deadline) break;
      if (!blocking || error == EDEADLK) {
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::microseconds(2000));
      }
      lock = byte_range(F_WRLCK, k_update_lock_byte, 1);
      if (::fcntl(m_fd, blocking ? F_SETLKW : F_SETLK, &lock) == 0) {
        return UpdateGuard(m_fd, saved);
      }
      error = errno;
    }
  }
  if (error != EINTR && error != EAGAIN && error != EACCES && error != EDEADLK) {
    ::sigprocmask(SIG_SETMASK, &saved, nullptr);
    return Error::from_errno("cannot lock the slot table", error);
  }
  ::sigprocmask(SIG_SETMASK, &saved, nullptr);
  std::optional<pid_t> last_holder = holder_of(m_fd, k_update_lock_byte);
  std::optional<ProcStat> stat;
  if (last_holder) stat = read_proc_stat(*last_holder);
  return update_lock_timeout(first_holder, last_holder, stat && is_stopped(*stat), limit);
}

bool LockFile::try_take_slot(int index) {
  struct flock lock = byte_range(F_WRLCK, k_first_slot_byte + index, 1);
  return ::fcntl(m_fd, F_SETLK, &lock) == 0;
}

std::vector<Holder> LockFile::holders(int count) const {
  // F_GETLK reports *some* conflicting lock in a range, not the first; split the range around
  // each one found and search both sides. Costs about two calls per holder.
  std::vector<Holder> found;
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
      Holder holder;
      holder.slot = static_cast<int>(byte - k_first_slot_byte);
      holder.pid = probe.l_pid;
      found.push_back(std::move(holder));
    }
    ranges.emplace_back(begin, first);
    ranges.emplace_back(last, end);
  }
  std::sort(found.begin(), found.end(),
            [](const Holder& a, const Holder& b) { return a.slot < b.slot; });
  return found;
}

bool LockFile::try_mark_waiter(int index) {
  struct flock lock = byte_range(F_WRLCK, k_first_waiter_byte + index, 1);
  return ::fcntl(m_fd, F_SETLK, &lock) == 0;
}

void LockFile::unmark_waiter(int index) {
  struct flock lock = byte_range(F_UNLCK, k_first_waiter_byte + index, 1);
  ::fcntl(m_fd, F_SETLK, &lock);
}

std::optional<pid_t> LockFile::waiter_mark_holder(int index) const {
  return holder_of(m_fd, k_first_waiter_byte + index);
}

bool LockFile::any_waiter_marked() const {
  struct flock probe = byte_range(F_WRLCK, k_first_waiter_byte, k_max_waiters);
  return ::fcntl(m_fd, F_GETLK, &probe) != 0 || probe.l_type != F_UNLCK;
}

Status LockFile::keep_across_exec() {
  int flags = ::fcntl(m_fd, F_GETFD);
  if (flags < 0 || ::fcntl(m_fd, F_SETFD, flags & ~FD_CLOEXEC) != 0) {
    return Error::from_errno("cannot keep the slot lock across exec");
  }
  return ok_status();
}

}  // namespace vq
