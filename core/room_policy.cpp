#include "room_policy.h"

#include <algorithm>

namespace vq {

std::uint64_t still_growing(const HolderRoom& holder) {
  std::uint64_t current = holder.current_bytes.value_or(0);
  return holder.estimate_bytes > current ? holder.estimate_bytes - current : 0;
}

RoomVerdict judge_room(const RoomScene& scene) {
  RoomVerdict verdict;
  verdict.need = scene.need_bytes;
  verdict.reserve = scene.reserve_bytes;
  if (scene.mem_available || scene.cgroup_headroom) {
    verdict.known = true;
    verdict.available = std::min(scene.mem_available.value_or(UINT64_MAX),
                                 scene.cgroup_headroom.value_or(UINT64_MAX));
  }
  if (scene.reserve_growing) {
    for (const HolderRoom& holder : scene.holders) verdict.growing += still_growing(holder);
  }
  verdict.room = static_cast<std::int64_t>(verdict.available) -
                 static_cast<std::int64_t>(verdict.growing) -
                 static_cast<std::int64_t>(verdict.reserve);
  if (scene.holders.empty()) return verdict;
  if (scene.pressure_high) {
    verdict.admit = false;
    verdict.block = RoomBlock::pressure;
  } else if (verdict.known && verdict.room < static_cast<std::int64_t>(verdict.need)) {
    verdict.admit = false;
    verdict.block = RoomBlock::memory;
  }
  return verdict;
}

std::uint64_t reserve_bytes(const MemoryReserve& reserve, std::uint64_t budget_bytes) {
  if (reserve.bytes > 0) return reserve.bytes;
  return static_cast<std::uint64_t>(static_cast<double>(budget_bytes) * reserve.percent / 100.0);
}

int auto_limit(int cores, std::uint64_t budget_bytes, std::uint64_t cold_estimate_bytes,
               int max_limit) {
  std::uint64_t by_memory = cold_estimate_bytes > 0 ? budget_bytes / cold_estimate_bytes
                                                    : static_cast<std::uint64_t>(cores);
  std::uint64_t count =
      std::min<std::uint64_t>(static_cast<std::uint64_t>(std::max(cores, 1)), by_memory);
  return static_cast<int>(
      std::clamp<std::uint64_t>(count, 1, static_cast<std::uint64_t>(max_limit)));
}

}  // namespace vq
