#include "launch_room.h"

#include <sys/mman.h>

namespace vq::preload {
namespace {

constexpr std::size_t round_up(std::size_t value, std::size_t unit) {
  return (value + unit - 1) / unit * unit;
}

}  // namespace

LaunchRoom::LaunchRoom(std::size_t environment_entries) {
  std::size_t buffers = round_up(sizeof(PlanBuffers), alignof(char*));
  // An environment that large could not be passed to execve anyway (ARG_MAX): refuse it here
  // rather than let the size overflow.
  if (environment_entries > (std::size_t{1} << 28)) return;
  std::size_t capacity = environment_entries + 2;
  std::size_t size = buffers + capacity * sizeof(char*);
  // Only the pages the planning touches are ever backed: a relative script, a long path or a
  // big environment costs more, an absolute program and a short environment two or three pages.
  void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return;
  m_base = base;
  m_size = size;
  m_environment = reinterpret_cast<char**>(static_cast<char*>(base) + buffers);
  m_environment_capacity = capacity;
}

LaunchRoom::~LaunchRoom() {
  if (m_base != nullptr) ::munmap(m_base, m_size);
}

}  // namespace vq::preload
