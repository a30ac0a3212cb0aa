// The launch's side of memory-aware admission: its estimate, the room check's settings and the
// count VQ_MAX_PROCESSES=auto seeds, all from the configuration and the machine.
#pragma once

#include <cstdint>

#include "config.h"
#include "room_check.h"

namespace vq {

// VQ_MEMORY_ESTIMATE when set, else the estimate learned for the project of `real_vitest`
// (the queue's estimates file), else the cold default (a project never seen).
std::uint64_t launch_estimate(const Config& config, const std::string& queue_dir,
                              const std::string& real_vitest);

MemorySettings memory_settings(const Config& config);

// The limit a new queue is seeded with: VQ_MAX_PROCESSES, or with `auto` one run per CPU this
// process may use, no more than the memory budget (the tighter of MemTotal and the cgroup limit)
// holds at the cold estimate.
int seed_limit(const Config& config, const ProbeRoots& roots = {});

}  // namespace vq
