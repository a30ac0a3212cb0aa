#include "reset.h"

#include "queue_store.h"

namespace vq::admin {

Result<ResetOutcome> reset_table(const std::string& queue_path, std::optional<gid_t> group,
                                 int seed_limit, bool force, std::chrono::milliseconds lock_wait) {
  VQ_TRY_ASSIGN(rebuilt, QueueStore::rebuild(queue_path, group, seed_limit, force, lock_wait));
  ResetOutcome outcome;
  outcome.table_state = rebuilt->table_state;
  outcome.live_holders = rebuilt->live.holders;
  outcome.live_waiters = rebuilt->live.waiters;
  outcome.refused = rebuilt->refused;
  outcome.limit = rebuilt->limit;
  outcome.paused = rebuilt->paused;
  return outcome;
}

}  // namespace vq::admin
