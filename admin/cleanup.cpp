#include "cleanup.h"

#include "queue_control.h"

namespace vq::admin {

Result<std::vector<StaleRecord>> cleanup(QueueStore& queue, std::chrono::milliseconds lock_wait) {
  std::vector<RemovedRecord> removed;
  {
    VQ_TRY_ASSIGN(pass, queue.update(lock_wait));
    if (HeaderCheck check = pass->header_check(); check != HeaderCheck::valid) {
      return damaged_table_error(queue, check);
    }
    removed = pass->remove_stale("vq-admin");
  }
  // Labelled outside the lock: reading /proc is slow next to a table update.
  std::vector<StaleRecord> stale;
  for (const RemovedRecord& record : removed) {
    StaleRecord::Kind kind = record.holder ? StaleRecord::Kind::holder : StaleRecord::Kind::waiter;
    stale.push_back(
        {kind, record.index, record.pid, record.torn ? "" : record.agent,
         record.torn ? "torn record" : stale_reason(kind, record.pid, record.start_time)});
  }
  return stale;
}

}  // namespace vq::admin
