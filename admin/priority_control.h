// Steering the line at run time: a waiting run's level (vq-admin priority), or straight to the
// front (vq-admin urgent, the top level). Written under the update lock; then only the waiters
// whose plan the change may alter are poked: the one changed, and those that one more free slot
// would admit before and after the change (the ones that watch, or must now watch, the holders).
// A running run is never touched: priority decides admission only.
#pragma once

#include <sys/types.h>

#include <chrono>

#include "queue_store.h"

namespace vq::admin {

struct PriorityChange {
  Priority old_level = Priority::normal;
  Priority new_level = Priority::normal;
  int old_position = 0;  // 1-based place in line
  int new_position = 0;
  int woken = 0;  // waiters poked to look again
};

// Fails with an error of kind `bad_config` when `pid` has no live waiter record here (it may
// be running already: `vq-admin status` shows it). `who`, when given, is logged with the
// change (the dashboard's actor).
Result<PriorityChange> set_waiter_priority(QueueStore& queue, pid_t pid, Priority level,
                                           std::chrono::milliseconds lock_wait,
                                           const std::string& who = {});

}  // namespace vq::admin
