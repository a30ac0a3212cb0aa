#include "cleanup.h"

#include <memory>

#include "queue_control.h"

namespace vq::admin {
namespace {

bool is_used(const SlotRecord& record) {
  return !(record.state == RecordState::empty && record.pid == 0);
}
bool is_used(const WaiterRecord& record) {
  return !(record.state == RecordState::empty && record.pid == 0);
}

}  // namespace

Result<std::vector<StaleRecord>> cleanup(Queue& queue, std::chrono::milliseconds lock_wait) {
  auto before = std::make_unique<Table>();
  std::vector<StaleRecord> removed;
  {
    auto guard = queue.locks().lock_update(lock_wait);
    if (!guard) return guard.error();
    Table& t = queue.table().table();
    if (HeaderCheck check = check_header(t.header); check != HeaderCheck::valid) {
      return damaged_table_error(queue, check);
    }
    *before = t;
    if (int torn = repair_records(t); torn > 0) {
      queue.log().warn("vq-admin", "repaired", "cleared " + std::to_string(torn) + " torn records");
    }
    queue.scan_holders("vq-admin");
    for (int i = 0; i < k_max_waiters; ++i) {
      if (t.waiters[i].state == RecordState::used) queue.waiter_state(i, "vq-admin");
    }
    for (int i = 0; i < k_max_slots; ++i) {
      if (is_used(before->slots[i]) && !is_used(t.slots[i])) {
        removed.push_back({StaleRecord::Kind::holder, i, before->slots[i].pid,
                           std::string(get_text(before->slots[i].agent)), ""});
      }
    }
    for (int i = 0; i < k_max_waiters; ++i) {
      if (is_used(before->waiters[i]) && !is_used(t.waiters[i])) {
        removed.push_back({StaleRecord::Kind::waiter, i, before->waiters[i].pid,
                           std::string(get_text(before->waiters[i].agent)), ""});
      }
    }
  }
  // Labelled outside the lock: reading /proc is slow next to a table update.
  for (StaleRecord& record : removed) {
    bool torn = record.kind == StaleRecord::Kind::holder
                    ? !is_valid(before->slots[record.index])
                    : !is_valid(before->waiters[record.index], before->header.next_ticket);
    std::uint64_t start = record.kind == StaleRecord::Kind::holder
                              ? before->slots[record.index].start_time
                              : before->waiters[record.index].start_time;
    record.reason = torn ? "torn record" : stale_reason(record.kind, record.pid, start);
    if (torn) record.agent.clear();
  }
  return removed;
}

}  // namespace vq::admin
