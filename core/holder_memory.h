// "How much memory does holder X use now": one small interface, so the room check does not care
// whether the figure is read from /proc on the spot or comes from a watcher that samples it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace vq {

class HolderMemory {
 public:
  virtual ~HolderMemory() = default;
  // The memory of `root`'s whole process tree (vitest and its workers); nullopt when unknown.
  virtual std::optional<std::uint64_t> current_bytes(pid_t root) = 0;
};

// Read from /proc now: PSS summed over the tree (shared pages split among their users, so
// workers sharing node's text are not counted once each); the tree's RSS when a process's
// smaps_rollup is unreadable (another user's in group mode).
class ProcTreeMemory : public HolderMemory {
 public:
  explicit ProcTreeMemory(std::string proc = "/proc") : m_proc(std::move(proc)) {}
  std::optional<std::uint64_t> current_bytes(pid_t root) override;

 private:
  std::string m_proc;
};

// "Pss:" of /proc/PID/smaps_rollup, in bytes.
std::optional<std::uint64_t> read_pss_bytes(const std::string& proc, pid_t pid);

}  // namespace vq
