// Steering admission at run time: the limit and the pause live in the table header, written
// under the update lock, after which waiters are woken (core/wake_signal.h) to look again.
#pragma once

#include <chrono>
#include <string>

#include "queue_store.h"

namespace vq::admin {

struct HeaderChange {
  int old_limit = 0;
  int new_limit = 0;
  bool old_paused = false;
  bool new_paused = false;
};

// Raising the limit admits waiters at once; lowering it stops admissions until the holders
// above it finish on their own (nobody is stopped). `limit` must be 1..k_max_limit. `who`,
// when given, goes into the event log line (the dashboard's "by=dashboard uid=… token=…").
Result<HeaderChange> set_limit(QueueStore& queue, int limit, std::chrono::milliseconds lock_wait,
                               const std::string& who = {});

// Paused: nobody new is admitted (holders run on, waiters keep their place).
Result<HeaderChange> set_paused(QueueStore& queue, bool paused, std::chrono::milliseconds lock_wait,
                                const std::string& who = {});

// The error for a table that cannot be trusted, naming the fix.
Error damaged_table_error(const QueueStore& queue, HeaderCheck check);

}  // namespace vq::admin
