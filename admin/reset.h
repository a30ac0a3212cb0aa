// `vq-admin reset`: rebuilds a slot table that cannot be read or belongs to another layout.
//
// Slots are kernel record locks on the lock file, not table entries, so a rebuild never frees
// or doubles a slot: live holders keep running and keep counting against the limit. What a
// rebuild loses is metadata: holders show without agent and start time until they exit, and
// waiters re-register with their old tickets on their next pass (within 0.5 s), during which a
// newcomer could slip ahead of them. Hence the refusal while anyone is live, unless forced.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "holder.h"
#include "result.h"
#include "slot_table.h"

namespace vq::admin {

struct ResetOutcome {
  std::string table_state;  // what the table was: "valid", "corrupt", "unreadable: <why>", ...
  std::vector<Holder> live_holders;
  std::vector<pid_t> live_waiters;
  bool refused = false;  // live holders or waiters, and not forced: nothing was changed
  int limit = 0;         // the rebuilt table's limit
  bool paused = false;
};

// `seed_limit` is used when the old table's limit cannot be trusted; a valid table keeps its
// limit and pause.
// `group`: group mode (VQ_GROUP), see QueueDir::open.
Result<ResetOutcome> reset_table(const std::string& queue_path, std::optional<gid_t> group,
                                 int seed_limit, bool force, std::chrono::milliseconds lock_wait);

}  // namespace vq::admin
