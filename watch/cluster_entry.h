// The watcher's first job under VQ_CLUSTER: take the run's cluster permit while the shim waits
// on the report pipe (cluster_report.h). It joins the cluster queue, sleeps in it (the server
// wakes it: no polling), reports `queued` whenever the count ahead changes and `admitted` with
// the fencing token, or `unreachable`; it leaves the queue (or gives the permit back) when the
// shim is gone — timed out, interrupted — or no longer reads the pipe.
#pragma once

#include <optional>

#include "cluster_permit.h"
#include "cluster_queue.h"
#include "cluster_settings.h"
#include "watch_request.h"

namespace vq::watch {

struct ClusterEntry {
  PermitState state = PermitState::local_only;  // held: admitted; local_only: unreachable
  bool shim_gone = false;  // the wait ended without the run: nothing more to watch
  std::optional<cluster::ClusterQueue> queue;
  std::optional<cluster::Permit> permit;
};

// `pidfd` is the shim's (readable once it exited); reports go to request.report_fd. `per_agent`
// caps the runs of this run's agent across hosts (VQ_PER_AGENT for an explicit VQ_AGENT_ID;
// 0: no cap).
ClusterEntry enter_cluster(const cluster::ClusterSettings& settings, const WatchRequest& request,
                           int pidfd, int per_agent);

}  // namespace vq::watch
