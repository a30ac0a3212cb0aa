// Holders whose slot locks are on a lock file that is no longer at the queue's path: found
// through the kernel's list of record locks (/proc/locks), for a queue whose table had to be
// created anew (its directory was removed under live runs, e.g. by an age-based /tmp cleaner).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "holder.h"

namespace vq {

// A slot lock as one line of /proc/locks states it: "N: POSIX  ADVISORY  WRITE PID MAJ:MIN:INO
// START END". Only one-byte POSIX write locks on slot bytes of the lock file are slot locks.
struct LockLine {
  pid_t pid = 0;
  unsigned long inode = 0;
  long start = 0;
  long end = 0;
};
std::vector<LockLine> parse_slot_locks(std::string_view proc_locks, int slot_count);

// The processes holding a slot lock on a removed file whose path was `lock_path` (the kernel
// names it "<lock_path> (deleted)" in /proc/PID/fd), other than this process: slot and pid of
// each, lock_seen false.
std::vector<Holder> holders_of_removed_lock_file(const std::string& lock_path, int slot_count);

// `path` with symlinks resolved, as the kernel names files in /proc; `path` itself when that
// cannot be done.
std::string canonical_path(const std::string& path);

}  // namespace vq
