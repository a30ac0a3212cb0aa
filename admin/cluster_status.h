// The cluster section of `vq-admin status` (VQ_CLUSTER set): the cluster queue as the server
// sees it (limit, holders by host and agent, waiters in order, permits lost) and whether this
// host is `degraded`: the server unreachable now, or a run here going on local-only.
#pragma once

#include <optional>
#include <string>

#include "cluster_permit.h"
#include "cluster_queue.h"
#include "cluster_settings.h"

namespace vq::admin {

struct StatusReport;

struct ClusterStatus {
  std::string url;        // ClusterSettings::describe(): the password masked
  std::string queue;      // the cluster queue's name
  std::string host_name;  // this host's name in the cluster (VQ_CLUSTER_HOST)
  std::optional<cluster::ClusterSnapshot> snapshot;  // none: unreachable now
  std::string error;                                 // why it is unreachable
  bool degraded = false;
};

// Connects, takes a snapshot and judges `degraded` against this host's active runs (their
// permits from the live figures: add_live_figures first).
ClusterStatus collect_cluster_status(const cluster::ClusterSettings& settings,
                                     const StatusReport& local);

// A holder's permit as status shows it: this host's runs by their keeper's last word, other
// hosts' as the server holds them.
PermitState holder_permit(const ClusterStatus& status, const StatusReport& local,
                          const cluster::HolderView& holder);

}  // namespace vq::admin
