// Keeping a process on the CPU it runs on for a moment, and giving it back its own CPU mask.
// The shim starts the watcher through a middle child it waits for; the kernel places a new child
// on whichever CPU looks least loaded, and on a busy machine the shim then waits for that other
// CPU's turn (bench/, scenario overhead: about 0.6 ms a launch on 2 busy cores). Pinned, the child
// is placed on the shim's own CPU, which the shim frees by waiting.
#pragma once

#include <sched.h>

namespace vq {

class CpuPin {
 public:
  // Pins the calling process to its current CPU; inactive (pins nothing) when its mask cannot
  // be read or set, or it has one CPU anyway.
  static CpuPin here();
  // Sets the calling process's mask back to what it was before here(): in the shim, and in a
  // child started while pinned (which inherited the single CPU). Async-signal-safe.
  void restore() const;
  // In a child started while pinned: moves the calling process off the pinned CPU to the
  // mask's others, so that it does not compete with the pinned process there, before restore()
  // widens its mask again (which moves nothing). Async-signal-safe.
  void move_elsewhere() const;

 private:
  cpu_set_t m_before{};
  int m_cpu = -1;
  bool m_active = false;
};

}  // namespace vq
