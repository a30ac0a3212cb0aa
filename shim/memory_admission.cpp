#include "memory_admission.h"

#include <sched.h>

#include <algorithm>

#include "estimate_cache.h"
#include "memory_estimate.h"
#include "memory_probe.h"

namespace vq {

std::uint64_t launch_estimate(const Config& config, const std::string& queue_dir,
                              const std::string& real_vitest) {
  if (config.memory_estimate) return *config.memory_estimate;
  if (auto learned = cached_estimate(queue_dir, project_of_vitest(real_vitest))) {
    return learned->bytes;
  }
  return EstimateRules{}.cold_bytes;
}

MemorySettings memory_settings(const Config& config) {
  MemorySettings settings;
  settings.reserve = config.memory_reserve;
  settings.reserve_growing = config.reserve_growing;
  settings.pressure_percent = config.memory_pressure_percent;
  settings.unknown_estimate = EstimateRules{}.cold_bytes;
  return settings;
}

int seed_limit(const Config& config, const ProbeRoots& roots) {
  if (!config.limit_auto) return config.limit;
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  int cores = ::sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
  std::uint64_t budget = read_meminfo(roots).total.value_or(0);
  if (auto cgroup = read_cgroup_room(roots)) {
    budget = budget == 0 ? cgroup->limit : std::min(budget, cgroup->limit);
  }
  if (budget == 0) return std::clamp(cores, 1, k_max_limit);
  return auto_limit(cores, budget, EstimateRules{}.cold_bytes, k_max_limit);
}

}  // namespace vq
