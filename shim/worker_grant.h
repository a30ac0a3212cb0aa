// VQ_WORKERS=auto for a run just admitted: the other holders' granted workers (from their
// environments), this process's CPUs and the memory room beside the other holders, through
// core/worker_budget's formula.
#pragma once

#include <cstdint>

#include "queue_store.h"
#include "room_check.h"

namespace vq {

// `room`: the launch's room check, null with VQ_MEMORY_ADMISSION=0 (CPUs alone decide).
int grant_auto_workers(QueueStore& queue, const RunInfo& run, RoomCheck* room);

}  // namespace vq
