#include "reset.h"

#include <unistd.h>

#include "queue.h"
#include "wake_signal.h"

namespace vq::admin {
namespace {

void find_live(const LockFile& locks, ResetOutcome& outcome) {
  outcome.live_holders = locks.holders(k_max_slots);
  for (int i = 0; i < k_max_waiters; ++i) {
    if (auto pid = locks.waiter_mark_holder(i)) outcome.live_waiters.push_back(*pid);
  }
}

// The table file cannot even be mapped (not a regular file of ours, unreadable): replace it.
// Processes cannot have it mapped either, so nobody keeps writing into the old one.
Result<ResetOutcome> replace_unmappable(const QueueDir& dir, const std::string& why, int seed_limit,
                                        bool force, std::chrono::milliseconds lock_wait) {
  ResetOutcome outcome;
  outcome.table_state = "unreadable: " + why;
  auto locks = LockFile::open(dir);
  if (!locks) return locks.error();
  auto guard = locks->lock_update(lock_wait);
  if (!guard) return guard.error();
  find_live(*locks, outcome);
  if (!force && (!outcome.live_holders.empty() || !outcome.live_waiters.empty())) {
    outcome.refused = true;
    return outcome;
  }
  std::string path = dir.file(k_table_file);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Error::from_errno("cannot remove " + path + " (remove it by hand, then run vitest)");
  }
  auto table = SlotTable::open(dir);
  if (!table) return table.error();
  initialize_table(table->table(), seed_limit, wall_ms());
  outcome.limit = seed_limit;
  return outcome;
}

}  // namespace

Result<ResetOutcome> reset_table(const std::string& queue_path, std::optional<gid_t> group,
                                 int seed_limit, bool force, std::chrono::milliseconds lock_wait) {
  auto dir = QueueDir::open(queue_path, group);
  if (!dir) return dir.error();
  auto queue = Queue::attach(queue_path, "info", group);
  if (!queue) return replace_unmappable(*dir, queue.error().message, seed_limit, force, lock_wait);

  ResetOutcome outcome;
  {
    auto guard = queue->locks().lock_update(lock_wait);
    if (!guard) return guard.error();
    Table& t = queue->table().table();
    HeaderCheck check = check_header(t.header);
    outcome.table_state = std::string(describe(check));
    find_live(queue->locks(), outcome);
    if (!force && (!outcome.live_holders.empty() || !outcome.live_waiters.empty())) {
      outcome.refused = true;
      return outcome;
    }
    outcome.limit = check == HeaderCheck::valid ? static_cast<int>(t.header.limit) : seed_limit;
    outcome.paused = check == HeaderCheck::valid && t.header.paused == 1;
    initialize_table(t, outcome.limit, wall_ms());
    t.header.paused = outcome.paused ? 1 : 0;
  }
  queue->log().warn("vq-admin", "reset",
                    "table was " + outcome.table_state + "; rebuilt with limit=" +
                        std::to_string(outcome.limit) + (force ? " (forced)" : "") +
                        " live_holders=" + std::to_string(outcome.live_holders.size()) +
                        " live_waiters=" + std::to_string(outcome.live_waiters.size()));
  wake_waiters(queue->dir());
  return outcome;
}

}  // namespace vq::admin
