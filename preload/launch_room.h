// The memory a launch candidate's planning needs — its paths, the VQ_REDIRECT entry and the
// shim's environment array (one pointer per entry, however many) — in an anonymous mapping made
// for the call. Not on the stack: hooks may run on an 8 KiB signal stack or a small thread or
// coroutine stack, where glibc's own exec needs almost none. Not the heap: a hook may run in a
// vfork child sharing its parent's allocator, or in a signal handler.
//
// The mapping is removed when the room goes out of scope; an exec that succeeds takes it with
// the old process image. (In a vfork child that execs the shim, the parent keeps the mapping:
// one per such launch, a few pages.)
#pragma once

#include <cstddef>

#include "launch_match.h"

namespace vq::preload {

// "VQ_REDIRECT=<index>:" fits in this much; the program's path is written right after it, so
// one buffer holds both the searched path and the environment entry.
inline constexpr std::size_t k_entry_prefix = 32;

struct PlanBuffers {
  MatchBuffers match;
  char entry[k_entry_prefix + k_path_capacity];
  char* program() { return entry + k_entry_prefix; }
};

class LaunchRoom {
 public:
  // Room for PlanBuffers and an environment of `environment_entries` entries plus the
  // VQ_REDIRECT entry and the terminating null pointer.
  explicit LaunchRoom(std::size_t environment_entries);
  ~LaunchRoom();
  LaunchRoom(const LaunchRoom&) = delete;
  LaunchRoom& operator=(const LaunchRoom&) = delete;

  bool mapped() const { return m_base != nullptr; }
  PlanBuffers& buffers() { return *static_cast<PlanBuffers*>(m_base); }
  char** environment() { return m_environment; }
  std::size_t environment_capacity() const { return m_environment_capacity; }

 private:
  void* m_base = nullptr;
  std::size_t m_size = 0;
  char** m_environment = nullptr;
  std::size_t m_environment_capacity = 0;
};

}  // namespace vq::preload
