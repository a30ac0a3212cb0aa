// The room check a waiter whose turn it is runs in its pass: reads the probes and the holders'
// current memory now and asks the room policy. Keeps the pressure gauge between passes.
#pragma once

#include <cstdint>
#include <vector>

#include "holder.h"
#include "holder_memory.h"
#include "memory_probe.h"
#include "room_policy.h"

namespace vq {

struct MemorySettings {
  ProbeRoots roots;
  MemoryReserve reserve;
  bool reserve_growing = true;
  double pressure_percent = 10;
  std::uint64_t unknown_estimate = 0;  // for a holder whose record has none (cold default)
};

class RoomCheck {
 public:
  RoomCheck(MemorySettings settings, HolderMemory& memory)
      : m_settings(std::move(settings)), m_memory(memory), m_gauge(m_settings.pressure_percent) {}

  // Whether `need_bytes` more fit beside `holders` now.
  RoomVerdict judge(const std::vector<Holder>& holders, std::uint64_t need_bytes);
  double pressure_percent() const { return m_gauge.percent(); }

 private:
  MemorySettings m_settings;
  HolderMemory& m_memory;
  PressureGauge m_gauge;
};

}  // namespace vq
