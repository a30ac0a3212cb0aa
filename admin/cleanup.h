// `vq-admin cleanup`: removes the records of holders and waiters that are gone. Correctness
// never depends on it (the kernel frees a dead holder's slot at once, and every vq process
// clears such records as it passes); it tidies what status shows.
#pragma once

#include <chrono>
#include <vector>

#include "queue_store.h"
#include "status_report.h"

namespace vq::admin {

// Under the update lock, with the queue's own judges (QueueStore::Pass::remove_stale),
// so a record is removed only when its kernel lock is gone: a live holder or waiter, stopped or
// not, is never removed. Torn records are cleared too. Returns what was removed.
Result<std::vector<StaleRecord>> cleanup(QueueStore& queue, std::chrono::milliseconds lock_wait);

}  // namespace vq::admin
