#include "cpu_pin.h"

namespace vq {

CpuPin CpuPin::here() {
  CpuPin pin;
  // Masks wider than cpu_set_t (over 1024 CPUs) fail here: the launch then goes unpinned.
  if (::sched_getaffinity(0, sizeof pin.m_before, &pin.m_before) != 0) return pin;
  const int cpu = ::sched_getcpu();
  if (cpu < 0 || CPU_COUNT(&pin.m_before) < 2 || !CPU_ISSET(cpu, &pin.m_before)) return pin;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  pin.m_active = ::sched_setaffinity(0, sizeof one, &one) == 0;
  pin.m_cpu = cpu;
  return pin;
}

void CpuPin::restore() const {
  if (m_active) ::sched_setaffinity(0, sizeof m_before, &m_before);
}

void CpuPin::move_elsewhere() const {
  if (!m_active) return;
  cpu_set_t others = m_before;
  CPU_CLR(m_cpu, &others);
  ::sched_setaffinity(0, sizeof others, &others);
}

}  // namespace vq
