#include "run_recorder.h"

#include "event_log.h"
#include "history_path.h"
#include "history_store.h"
#include "learned_estimate.h"
#include "queue_dir.h"
#include "queue_event.h"

namespace vq::history {
namespace {

// A log that cannot be opened drops the line: the writer has nowhere else to say it.
void log_warning(const Config& config, const RunRecord& run, EventType type,
                 const std::string& detail) {
  auto dir = QueueDir::open(run.queue_dir, config.group);
  if (!dir) return;
  EventLog log = open_event_log(*dir, config.log_level);
  QueueEvent event(type, run.agent.empty() ? "-" : run.agent);
  event.detail = detail;
  log_event(log, event);
}

Result<void> append(const Config& config, const RunRecord& run) {
  VQ_TRY_ASSIGN(path, history_path(config));
  VQ_TRY_ASSIGN(store, HistoryStore::open(*path));
  auto appended = store->append(run);
  if (store->rebuilt()) log_warning(config, run, EventType::history_rebuilt, store->warning());
  // The next launch of this project reads its estimate from the queue's estimates file; a run
  // that failed to refresh it leaves the previous estimate, which is no reason to warn.
  if (appended && run.peak_memory_bytes && !run.project.empty()) {
    (void)refresh_estimate(*store, run.queue_dir, run.project, run.ended_at_ms, config.group);
  }
  return appended;
}

}  // namespace

Result<void> record_run(const Config& config, const RunRecord& run) {
  auto appended = append(config, run);
  if (!appended) {
    log_warning(config, run, EventType::history_failed,
                "the run's record is lost: " + appended.error().message);
  }
  return appended;
}

}  // namespace vq::history
