// A slot holder: the one type every part of vq uses for "who holds slot i".
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace vq {

// The kernel's answer (slot, pid) and, where the table's slot record matches, its metadata.
struct Holder {
  int slot = 0;
  pid_t pid = 0;
  // The kernel reports this pid's lock on the slot byte of the lock file this process opened.
  // False for a holder counted from its record alone: its process is alive but its lock is on a
  // lock file that was removed or replaced (see QueueStore::scan_holders).
  bool lock_seen = true;
  bool has_record = false;  // the slot record names this very pid
  // The holder's start time (/proc/PID/stat field 22) where known: from its record, or read when
  // it was found; 0 when not known.
  std::uint64_t start_time = 0;
  std::string agent;
  bool agent_explicit = false;
  std::uint64_t admitted_ms = 0;  // wall clock, ms since the epoch; 0 when unknown
  std::string cwd;
  std::string command;
  std::uint64_t estimate_bytes = 0;  // the run's memory estimate from its record; 0 unknown
};

// Whether `holders` says slot `slot` is held by `pid`.
inline bool is_held(const std::vector<Holder>& holders, int slot, pid_t pid) {
  return std::any_of(holders.begin(), holders.end(),
                     [&](const Holder& h) { return h.slot == slot && h.pid == pid; });
}

// Whether `holders` says anyone holds slot `slot`.
inline bool is_busy(const std::vector<Holder>& holders, int slot) {
  return std::any_of(holders.begin(), holders.end(),
                     [&](const Holder& h) { return h.slot == slot; });
}

}  // namespace vq
