// The kernel side of the queue: POSIX record locks on bytes of the lock file.
//
// Byte 0 serialises table updates. Byte 1 + i is slot i: whoever holds a write lock on it holds
// slot i. Byte 1024 + j marks waiter record j as belonging to a live waiter. Record locks are
// owned by a process, survive execve under the same pid, are released by the kernel however the
// process dies, and are not inherited by fork children, so vitest's workers never hold a slot.
// They are also released when the process closes *any* descriptor of this file, so a process
// opens it exactly once, and keeps it on a high descriptor number that launcher scripts do not
// redirect.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <vector>

#include "holder.h"
#include "queue_dir.h"
#include "result.h"

namespace vq {

// Updates hold the lock for microseconds; this long means its holder is stopped or stuck.
inline constexpr std::chrono::milliseconds k_update_wait_limit{5000};

inline constexpr off_t k_update_lock_byte = 0;
inline constexpr off_t k_first_slot_byte = 1;
inline constexpr off_t k_first_waiter_byte = 1024;

// The error for an update lock not had within `limit`: the lock is stuck when one process held it
// all along or its holder is stopped (Ctrl-Z, SIGSTOP, a debugger; it keeps the lock until it
// continues); busy when it changed hands meanwhile (a burst of launches, nobody at fault).
Error update_lock_timeout(std::optional<pid_t> first_holder, std::optional<pid_t> last_holder,
                          bool last_stopped, std::chrono::milliseconds limit);

class LockFile {
 public:
  static Result<LockFile> open(const QueueDir& dir);

  LockFile(LockFile&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }
  LockFile& operator=(LockFile&& other) noexcept;
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;
  ~LockFile();

  // Holds the update lock for its lifetime. Job-control stops (Ctrl-Z) are deferred while it is
  // held, so a suspended shell does not freeze the queue for everyone.
  class UpdateGuard {
   public:
    UpdateGuard(int fd, const sigset_t& saved_mask) : m_fd(fd), m_saved_mask(saved_mask) {}
    UpdateGuard(UpdateGuard&& other) noexcept : m_fd(other.m_fd), m_saved_mask(other.m_saved_mask) {
      other.m_fd = -1;
    }
    UpdateGuard(const UpdateGuard&) = delete;
    UpdateGuard& operator=(const UpdateGuard&) = delete;
    ~UpdateGuard();

   private:
    int m_fd;
    sigset_t m_saved_mask;
  };

  // Waits up to `limit` for the update lock. The kernel frees it if its holder dies, but not if
  // its holder is stopped (SIGSTOP, a debugger): then this gives up with an error of kind
  // lock_stuck naming that process (lock_busy when the lock kept changing hands), rather than
  // hanging every vq process on the machine.
  Result<UpdateGuard> lock_update(std::chrono::milliseconds limit = k_update_wait_limit);

  // Takes slot `index` if nobody holds it. Call with the update lock held.
  bool try_take_slot(int index);

  // The processes holding slot locks among the first `count` slots, found with F_GETLK: slot
  // and pid of each, in slot order. Locks held by the calling process itself are not seen (the
  // kernel reports no conflict).
  std::vector<Holder> holders(int count) const;

  // Waiter record j is live while its waiter holds byte 1024 + j.
  bool try_mark_waiter(int index);
  void unmark_waiter(int index);
  std::optional<pid_t> waiter_mark_holder(int index) const;
  // Whether any process holds a waiter mark: one query over all of them. (A process's own
  // marks are not reported to it.)
  bool any_waiter_marked() const;

  // The slot descriptor must stay open across execve: the lock is the slot.
  Status keep_across_exec();

  int fd() const { return m_fd; }

  // Gives the descriptor up without closing it: closing would drop every lock this process
  // holds on the file. Used right before execve, which must inherit it.
  int release() {
    int fd = m_fd;
    m_fd = -1;
    return fd;
  }

 private:
  explicit LockFile(int fd) : m_fd(fd) {}
  int m_fd = -1;
};

}  // namespace vq
