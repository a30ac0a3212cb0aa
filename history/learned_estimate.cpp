#include "learned_estimate.h"

#include "estimate_cache.h"

namespace vq::history {

std::vector<PastRun> past_runs(const std::vector<RunRecord>& runs) {
  std::vector<PastRun> past;
  for (const RunRecord& run : runs) {
    if (!run.peak_memory_bytes || *run.peak_memory_bytes <= 0) continue;
    past.push_back(PastRun{run.ended_at_ms, static_cast<std::uint64_t>(*run.peak_memory_bytes),
                           run.end == RunEnd::oom_killed});
  }
  return past;
}

Result<MemoryEstimate> learned_estimate(const HistoryStore& store, const std::string& project,
                                        std::int64_t now_ms) {
  HistoryQuery query;
  query.project = project;
  query.limit = 200;
  VQ_TRY_ASSIGN(runs, store.query(query));
  return estimate_memory(past_runs(*runs), now_ms);
}

Status refresh_estimate(const HistoryStore& store, const std::string& queue_dir,
                        const std::string& project, std::int64_t now_ms,
                        std::optional<gid_t> group) {
  VQ_TRY_ASSIGN(estimate, learned_estimate(store, project, now_ms));
  if (estimate->samples == 0) return ok_status();
  return store_estimate(queue_dir, project, CachedEstimate{estimate->bytes, estimate->samples},
                        group);
}

}  // namespace vq::history
