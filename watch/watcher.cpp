#include "watcher.h"

#include <unistd.h>

#include <string>
#include <vector>

#include "admission_message.h"
#include "cluster_watch.h"
#include "config.h"
#include "live_figures.h"
#include "queue_dir.h"
#include "run_recorder.h"
#include "run_report.h"
#include "run_watch.h"
#include "upkeep_priority.h"
#include "watch_request.h"

namespace vq::watch {
namespace {

// Published figures are a nicety for `status`: without the file the run is still recorded.
std::optional<LiveFiguresFile> open_live_figures(const WatchRequest& request,
                                                 const Config& config) {
  auto dir = QueueDir::open(request.queue_dir, config.group);
  if (!dir) return std::nullopt;
  auto live = LiveFiguresFile::open(*dir);
  if (!live) return std::nullopt;
  return std::move(*live);
}

history::RunRecord observe(const WatchRequest& request, const Config& config) {
  if (request.mode == WatchRequest::Mode::record) return unwatched_record(request);
  auto exit = request.pidfd >= 0 ? ExitWatch::adopt(request.pidfd, request.pid, request.start_time)
                                 : ExitWatch::open(request.pid, request.start_time);
  // Gone before the watcher could look (a run shorter than the watcher's start): the wait and
  // times are still known, the end is not.
  if (!exit) return unwatched_record(request);
  auto live = open_live_figures(request, config);
  return watched_record(request, watch_run(*exit, request, live ? &*live : nullptr));
}

}  // namespace

int run_watcher(int argc, char** argv) {
  auto request = parse_arguments(std::vector<std::string>(argv + 1, argv + argc));
  if (!request) return 2;
  auto config = load_config(process_env());
  if (!config) return 2;
  // A pending watcher learns how the wait ended first; told nothing, it records nothing.
  if (request->admission_fd >= 0) {
    const bool told = await_admission(request->admission_fd, *request);
    ::close(request->admission_fd);
    if (!told) return 0;
  }
  if (request->report_fd >= 0) return run_cluster_watcher(*request, *config);
  history::RunRecord run = observe(*request, *config);
  lower_priority_for_upkeep();
  // record_run puts whatever went wrong (no place, read-only, locked, rebuilt) in the queue's
  // event log: this program prints nothing.
  return history::record_run(*config, run) ? 0 : 1;
}

}  // namespace vq::watch
