// The queue directory: where a queue's table, lock file and log live. Private to its user
// (0700), or, in group mode, shared by the members of one group (3770: setgid, sticky).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "config.h"
#include "result.h"

namespace vq {

inline constexpr const char* k_table_file = "slots.table";
inline constexpr const char* k_lock_file = "slots.lock";
inline constexpr const char* k_log_file = "vitest-queue.log";
inline constexpr const char* k_wake_file = "wake";  // a FIFO, see wake_signal.h
// The default queue directories: this prefix and the caller's uid (group mode: the group's gid).
inline constexpr const char* k_private_queue_dir_prefix = "/tmp/vq-";
inline constexpr const char* k_group_queue_dir_prefix = "/tmp/vq-g";

// VQ_QUEUE_DIR, else /tmp/vq-$UID (group mode: /tmp/vq-g$GID). One place whatever the
// environment or login state: cron, services, sudo and ssh commands lack $XDG_RUNTIME_DIR, and
// /run/user/$UID comes and goes with logins; either would split one user's runs over two
// queues and double the limit.
std::string queue_dir_path(const Config& config);

// Whether the calling process is in group `gid` (effective or supplementary).
bool caller_in_group(gid_t gid);

class QueueDir {
 public:
  // Private (no `group`): creates the directory (and missing parents) 0700 when absent, then
  // checks it without following symlinks: a directory, owned by the caller, no group or other
  // permissions.
  // Group mode (`group` set, VQ_GROUP): the caller must be in the group; creates the directory
  // (not its parents) 3770 with that group when absent, whole before it takes its name; then
  // checks it without following symlinks: a directory of that group, rwx for the group,
  // nothing for others, setgid (files are the group's from the start) and sticky (members
  // cannot remove or rename each other's files).
  static Result<QueueDir> open(const std::string& path, std::optional<gid_t> group = std::nullopt);

  QueueDir(QueueDir&& other) noexcept;
  QueueDir& operator=(QueueDir&& other) noexcept;
  QueueDir(const QueueDir&) = delete;
  QueueDir& operator=(const QueueDir&) = delete;
  ~QueueDir();

  const std::string& path() const { return m_path; }
  std::string file(const char* name) const { return m_path + "/" + name; }
  // The group sharing this queue, in group mode.
  std::optional<gid_t> group() const { return m_group; }

  // Opens (creating if absent: 0600, group mode 0660) a regular file inside, never through a
  // symlink, checked: ours (group mode: of the group, nothing for others, one link). The
  // descriptor has FD_CLOEXEC set.
  Result<int> open_file(const char* name, int flags) const;

  // Opens (creating if absent, modes as above) a FIFO inside, never through a symlink, checked
  // as above. `flags` should hold O_NONBLOCK: without it, opening one end waits for the other.
  Result<int> open_fifo(const char* name, int flags) const;

  // Whether this directory is still the one at path() (not removed, renamed or replaced) and the
  // file `name` in it is the one open on `fd` (not removed, nor renamed over).
  bool holds(const char* name, int fd) const;
  // Sets the times of `name` inside (and of the directory itself with nullptr) to now, so an
  // age-based cleaner of /tmp (systemd-tmpfiles, tmpreaper) sees a queue in use as fresh.
  void touch(const char* name) const;

 private:
  QueueDir(std::string path, int fd, std::optional<gid_t> group)
      : m_path(std::move(path)), m_fd(fd), m_group(group) {}
  Result<int> checked(int fd, const char* name, const char* kind) const;
  std::string m_path;
  int m_fd = -1;
  std::optional<gid_t> m_group;
};

}  // namespace vq
