// The queue directory: where a queue's table, lock file and log live. Owned by its user, 0700.
#pragma once

#include <string>

#include "config.h"
#include "result.h"

namespace vq {

inline constexpr const char* k_table_file = "slots.table";
inline constexpr const char* k_lock_file = "slots.lock";
inline constexpr const char* k_log_file = "vitest-queue.log";
inline constexpr const char* k_wake_file = "wake";  // a FIFO, see wake_signal.h

// VQ_QUEUE_DIR, else /tmp/vq-$UID. One place whatever the environment or login state: cron,
// services, sudo and ssh commands lack $XDG_RUNTIME_DIR, and /run/user/$UID comes and goes with
// logins; either would split one user's runs over two queues and double the limit.
std::string queue_dir_path(const Config& config);

class QueueDir {
 public:
  // Creates the directory (and missing parents) 0700 when absent, then checks it without
  // following symlinks: a directory, owned by the caller, no group or other permissions.
  static Result<QueueDir> open(const std::string& path);

  QueueDir(QueueDir&& other) noexcept;
  QueueDir& operator=(QueueDir&& other) noexcept;
  QueueDir(const QueueDir&) = delete;
  QueueDir& operator=(const QueueDir&) = delete;
  ~QueueDir();

  const std::string& path() const { return m_path; }
  std::string file(const char* name) const { return m_path + "/" + name; }

  // Opens (creating 0600 if absent) a regular file inside, never through a symlink, checked to
  // be ours. The descriptor has FD_CLOEXEC set.
  Result<int> open_file(const char* name, int flags) const;

  // Opens (creating 0600 if absent) a FIFO inside, never through a symlink, checked to be ours.
  // `flags` should hold O_NONBLOCK: without it, opening one end waits for the other.
  Result<int> open_fifo(const char* name, int flags) const;

 private:
  QueueDir(std::string path, int fd) : m_path(std::move(path)), m_fd(fd) {}
  std::string m_path;
  int m_fd = -1;
};

}  // namespace vq
