// vq-watch under VQ_CLUSTER (report_fd=N): take the run's cluster permit while the shim waits
// (cluster_entry.h), then watch the run as without a cluster while a LeaseKeeper keeps the
// permit, and record the row with the permit's end state. With record=0 (VQ_WATCH=0) it only
// keeps the lease until the run ends.
#pragma once

#include "config.h"
#include "watch_request.h"

namespace vq::watch {

int run_cluster_watcher(const WatchRequest& request, const Config& config);

}  // namespace vq::watch
