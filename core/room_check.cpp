#include "room_check.h"

#include <algorithm>

namespace vq {

RoomVerdict RoomCheck::judge(const std::vector<Holder>& holders, std::uint64_t need_bytes) {
  RoomScene scene;
  scene.need_bytes = need_bytes;
  scene.reserve_growing = m_settings.reserve_growing;
  // Progress: with nothing holding, the verdict is "admit" whatever the figures, so none are read.
  if (holders.empty()) return judge_room(scene);
  for (const Holder& holder : holders) {
    std::uint64_t estimate =
        holder.estimate_bytes != 0 ? holder.estimate_bytes : m_settings.unknown_estimate;
    scene.holders.push_back(HolderRoom{estimate, std::nullopt});
  }
  MemInfo info = read_meminfo(m_settings.roots);
  scene.mem_available = info.available;
  std::uint64_t budget = info.total.value_or(0);
  if (auto cgroup = read_cgroup_room(m_settings.roots)) {
    scene.cgroup_headroom = cgroup->headroom();
    budget = budget == 0 ? cgroup->limit : std::min(budget, cgroup->limit);
  }
  scene.reserve_bytes = reserve_bytes(m_settings.reserve, budget);
  if (auto pressure = read_memory_pressure(m_settings.roots)) {
    m_gauge.update(*pressure, std::chrono::steady_clock::now());
  }
  scene.pressure_high = m_gauge.high();
  // Reading a holder's tree costs tens of microseconds: first judge as if no holder had grown
  // at all (every estimate reserved whole); only when that does not fit do their figures matter.
  RoomVerdict verdict = judge_room(scene);
  if (verdict.admit || verdict.block == RoomBlock::pressure || !scene.reserve_growing) {
    return verdict;
  }
  for (std::size_t i = 0; i < holders.size(); ++i) {
    scene.holders[i].current_bytes = m_memory.current_bytes(holders[i].pid);
  }
  return judge_room(scene);
}

}  // namespace vq
