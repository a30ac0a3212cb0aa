// The QueueStore operations of vq-admin's verbs: a snapshot for status, removing stale records
// (cleanup), and rebuilding the table (reset).
#include <unistd.h>

#include <cstring>

#include "orphan_holders.h"
#include "queue_store.h"
#include "wake_signal.h"

namespace vq {
namespace {

// The holders of a removed `slots.lock` at this queue's path, for a table not yet made.
std::vector<Holder> orphans_of(const QueueDir& dir) {
  return holders_of_removed_lock_file(canonical_path(dir.path()) + "/" + k_lock_file, k_max_slots);
}

// Who is live: `holders` (the kernel's, or judge_holders' with records counted) and the marks.
LiveMarks live_marks_of(const LockFile& locks, std::vector<Holder> holders) {
  LiveMarks live;
  live.holders = std::move(holders);
  for (int i = 0; i < k_max_waiters; ++i) {
    if (auto pid = locks.waiter_mark_holder(i)) live.waiters.push_back(*pid);
  }
  return live;
}

RemovedRecord removed_slot(const SlotRecord& record, int index) {
  return RemovedRecord{true,
                       index,
                       record.pid,
                       record.start_time,
                       std::string(get_text(record.agent)),
                       !is_valid(record)};
}

RemovedRecord removed_waiter(const WaiterRecord& record, int index, std::uint64_t next_ticket) {
  return RemovedRecord{false,
                       index,
                       record.pid,
                       record.start_time,
                       std::string(get_text(record.agent)),
                       !is_valid(record, next_ticket)};
}

}  // namespace

TableSnapshot QueueStore::Pass::snapshot() {
  TableSnapshot snapshot;
  // A table that shrank under the mapping reads as zeros until it is remapped.
  (void)m_store.m_table.recover(m_store.m_dir);
  std::memcpy(static_cast<void*>(snapshot.table.get()), &table(), sizeof(Table));
  snapshot.holders = judge_holders(*snapshot.table, m_store.m_locks);
  snapshot.waiter_marks.resize(k_max_waiters);
  const HeaderCheck check = check_header(snapshot.table->header);
  if (check == HeaderCheck::blank) {
    // A table not yet made, under live runs: the directory was removed while they held slots.
    for (Holder& orphan : orphans_of(m_store.m_dir)) snapshot.holders.push_back(std::move(orphan));
  }
  const bool valid = check == HeaderCheck::valid;
  for (int i = 0; i < k_max_waiters; ++i) {
    // With a damaged table every mark counts; otherwise only those of used records matter.
    if (!valid || snapshot.table->waiters[i].state != RecordState::empty) {
      snapshot.waiter_marks[i] = m_store.m_locks.waiter_mark_holder(i);
    }
  }
  return snapshot;
}

std::vector<RemovedRecord> QueueStore::Pass::remove_stale(const std::string& agent_for_log) {
  Table& t = table();
  auto before = std::make_unique<Table>(t);
  if (int torn = repair_records(t); torn > 0) {
    QueueEvent event{EventType::repaired, agent_for_log};
    event.detail = "cleared " + std::to_string(torn) + " torn records";
    m_store.record(event);
  }
  (void)scan_holders(agent_for_log);
  for (int i = 0; i < k_max_waiters; ++i) {
    if (t.waiters[i].state == RecordState::used) (void)waiter_state(i, agent_for_log);
  }
  std::vector<RemovedRecord> removed;
  for (int i = 0; i < k_max_slots; ++i) {
    if (!is_empty(before->slots[i]) && is_empty(t.slots[i])) {
      removed.push_back(removed_slot(before->slots[i], i));
    }
  }
  for (int i = 0; i < k_max_waiters; ++i) {
    if (!is_empty(before->waiters[i]) && is_empty(t.waiters[i])) {
      removed.push_back(removed_waiter(before->waiters[i], i, before->header.next_ticket));
    }
  }
  return removed;
}

LiveMarks QueueStore::Pass::live_marks() const {
  // Holders counted from their records (their lock file was removed or replaced) lose their
  // records in a rebuild too, and with them the only thing that counts them.
  std::vector<Holder> holders = judge_holders(table(), m_store.m_locks);
  if (header_check() == HeaderCheck::blank) {
    for (Holder& orphan : orphans_of(m_store.m_dir)) holders.push_back(std::move(orphan));
  }
  return live_marks_of(m_store.m_locks, std::move(holders));
}

void QueueStore::Pass::rebuild(int limit, bool paused) {
  initialize_table(table(), limit, wall_ms());
  table().header.paused = paused ? 1 : 0;
}

Result<QueueStore::Rebuilt> QueueStore::rebuild(const std::string& path, std::optional<gid_t> group,
                                                int seed_limit, bool force,
                                                std::chrono::milliseconds lock_wait) {
  VQ_TRY_ASSIGN(dir, QueueDir::open(path, group));
  auto store = attach(path, "info", group);
  Rebuilt rebuilt;
  if (!store) {
    // The table file cannot even be mapped (not a regular file of ours, unreadable): replace
    // it. Processes cannot have it mapped either, so nobody keeps writing into the old one.
    rebuilt.table_state = "unreadable: " + store.error().message;
    VQ_TRY_ASSIGN(locks, LockFile::open(*dir));
    VQ_TRY_ASSIGN(guard, locks->lock_update(lock_wait));
    std::vector<Holder> holders = locks->holders(k_max_slots);
    for (Holder& orphan : orphans_of(*dir)) holders.push_back(std::move(orphan));
    rebuilt.live = live_marks_of(*locks, std::move(holders));
    if (!force && rebuilt.live.any()) {
      rebuilt.refused = true;
      return rebuilt;
    }
    std::string table_path = dir->file(k_table_file);
    if (::unlink(table_path.c_str()) != 0 && errno != ENOENT) {
      return Error::from_errno("cannot remove " + table_path +
                               " (remove it by hand, then run vitest)");
    }
    VQ_TRY_ASSIGN(table, SlotTable::open(*dir));
    initialize_table(table->table(), seed_limit, wall_ms());
    rebuilt.limit = seed_limit;
    return rebuilt;
  }
  {
    VQ_TRY_ASSIGN(pass, store->update(lock_wait));
    HeaderCheck check = pass->header_check();
    rebuilt.table_state = std::string(describe(check));
    rebuilt.live = pass->live_marks();
    if (!force && rebuilt.live.any()) {
      rebuilt.refused = true;
      return rebuilt;
    }
    const bool valid = check == HeaderCheck::valid;
    rebuilt.limit = valid ? static_cast<int>(pass->header().limit) : seed_limit;
    rebuilt.paused = valid && pass->paused();
    pass->rebuild(rebuilt.limit, rebuilt.paused);
  }
  QueueEvent event{EventType::reset, "vq-admin"};
  event.detail =
      "table was " + rebuilt.table_state + "; rebuilt with limit=" + std::to_string(rebuilt.limit) +
      (force ? " (forced)" : "") + " live_holders=" + std::to_string(rebuilt.live.holders.size()) +
      " live_waiters=" + std::to_string(rebuilt.live.waiters.size());
  store->record(event);
  wake_waiters(store->dir());
  return rebuilt;
}

}  // namespace vq
