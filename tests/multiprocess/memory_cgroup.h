// A real memory cgroup a test makes (root; cgroup v1 memory controller, or v2 with the memory
// controller enabled) to run shims in: their room is its limit, and its OOM count an observer.
#pragma once

#include <cstdint>
#include <string>

#include "process_harness.h"

namespace vq::mp {

// A memory cgroup below the test's own, limited to `limit` bytes; removed on destruction.
// dir() is empty when it cannot be made (not root, no memory controller).
class MemoryCgroup {
 public:
  explicit MemoryCgroup(std::uint64_t limit);
  ~MemoryCgroup();
  MemoryCgroup(const MemoryCgroup&) = delete;
  MemoryCgroup& operator=(const MemoryCgroup&) = delete;

  const std::string& dir() const { return m_dir; }
  // OOM kills inside this cgroup, as the kernel counts them.
  int oom_kills() const;

 private:
  static inline int s_count = 0;
  std::string m_dir;
  bool m_v1 = true;
};

// `launch`, started by a shell that moves itself into `cgroup` first.
Launch launch_in(const MemoryCgroup& cgroup, Launch launch);

}  // namespace vq::mp
