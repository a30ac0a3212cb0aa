#include "cluster_watch.h"

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "cluster_entry.h"
#include "cluster_report.h"
#include "lease_keeper.h"
#include "live_figures.h"
#include "queue_dir.h"
#include "run_exit.h"
#include "run_recorder.h"
#include "run_report.h"
#include "run_watch.h"
#include "upkeep_priority.h"

namespace vq::watch {
namespace {

void wait_for_end(int pidfd) {
  pollfd watched{pidfd, POLLIN, 0};
  while (::poll(&watched, 1, -1) < 0 && errno == EINTR) {
  }
}

std::optional<LiveFiguresFile> live_figures_of(const WatchRequest& request, const Config& config) {
  auto dir = QueueDir::open(request.queue_dir, config.group);
  if (!dir) return std::nullopt;
  auto live = LiveFiguresFile::open(*dir);
  if (!live) return std::nullopt;
  return std::move(*live);
}

// The shim could not be told (no settings, no pidfd): it runs local-only or refuses.
int tell_unreachable(const WatchRequest& request, const std::string& reason) {
  ClusterReport what;
  what.kind = ClusterReport::Kind::unreachable;
  what.reason = reason;
  const std::string line = format_report(what);
  (void)!::write(request.report_fd, line.data(), line.size());
  ::close(request.report_fd);
  return 0;
}

// The admitted (or local-only) run, watched to its end while `keeper` keeps its permit.
int watch_admitted(WatchRequest request, const Config& config, const ExitWatch& exit,
                   LeaseKeeper* keeper) {
  request.admitted_at_ms = unix_now_ms();
  if (!request.record) {
    wait_for_end(exit.pidfd());
    if (keeper != nullptr) keeper->finish();
    return 0;
  }
  auto live = live_figures_of(request, config);
  const std::atomic<int> local_only{static_cast<int>(PermitState::local_only)};
  RunObservation seen = watch_run(exit, request, live ? &*live : nullptr, k_sample_period,
                                  keeper != nullptr ? &keeper->published_state() : &local_only);
  const PermitState permit = keeper != nullptr ? keeper->finish() : PermitState::local_only;
  history::RunRecord row = watched_record(request, seen);
  row.cluster_permit = std::string(permit_name(permit));
  lower_priority_for_upkeep();
  return history::record_run(config, row) ? 0 : 1;
}

}  // namespace

int run_cluster_watcher(const WatchRequest& request, const Config& config) {
  // A shim that stopped reading must not kill us by SIGPIPE: we still leave the queue.
  ::signal(SIGPIPE, SIG_IGN);
  if (!config.cluster) return tell_unreachable(request, "vq-watch found no VQ_CLUSTER setting");
  auto exit = request.pidfd >= 0 ? ExitWatch::adopt(request.pidfd, request.pid, request.start_time)
                                 : ExitWatch::open(request.pid, request.start_time);
  if (!exit) return tell_unreachable(request, "vq-watch could not watch the run");
  // Capped only for an explicit agent id, as the local queue caps.
  const int per_agent = config.agent_id ? config.per_agent : 0;
  ClusterEntry entry = enter_cluster(*config.cluster, request, exit->pidfd(), per_agent);
  ::close(request.report_fd);
  ::setpriority(PRIO_PROCESS, 0, k_watcher_nice);  // the shim no longer waits for us
  // A wait that ended without the run is recorded by the shim's record-mode watcher; a run the
  // shim refuses without the cluster never starts.
  if (entry.shim_gone) return 0;
  if (entry.state == PermitState::local_only && config.fail_closed) return 0;
  std::optional<LeaseKeeper> keeper;
  if (entry.permit) keeper.emplace(*config.cluster, std::move(*entry.queue), *entry.permit);
  return watch_admitted(request, config, *exit, keeper ? &*keeper : nullptr);
}

}  // namespace vq::watch
