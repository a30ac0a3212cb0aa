// A project's memory estimate learned from its runs in the history (estimate_memory over their
// peaks), and the one call that keeps the queue's estimates file (estimate_cache.h) up to date
// after a run was recorded, so the next launch of that project uses it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "history_store.h"
#include "memory_estimate.h"
#include "run_record.h"

namespace vq::history {

// The runs with a sampled peak, as the estimate needs them: newest first, OOM kills marked.
std::vector<PastRun> past_runs(const std::vector<RunRecord>& runs);

// From the project's last 200 runs.
Result<MemoryEstimate> learned_estimate(const HistoryStore& store, const std::string& project,
                                        std::int64_t now_ms);

// learned_estimate, written to the estimates file of `queue_dir` (of `group` in group mode);
// nothing when the project has no sampled run yet (the cold default applies).
Status refresh_estimate(const HistoryStore& store, const std::string& queue_dir,
                        const std::string& project, std::int64_t now_ms,
                        std::optional<gid_t> group = std::nullopt);

}  // namespace vq::history
