#include "cluster_status.h"

#include "status_report.h"

namespace vq::admin {
namespace {

PermitState local_permit(const ActiveRun& run) {
  return run.live ? permit_from_number(run.live->cluster_permit) : PermitState::none;
}

bool any_local_only(const StatusReport& local) {
  for (const ActiveRun& run : local.active) {
    if (local_permit(run) == PermitState::local_only) return true;
  }
  return false;
}

}  // namespace

ClusterStatus collect_cluster_status(const cluster::ClusterSettings& settings,
                                     const StatusReport& local) {
  ClusterStatus status;
  status.url = settings.describe();
  status.queue = settings.queue;
  status.host_name = settings.host_name;
  auto queue = cluster::ClusterQueue::connect(settings);
  if (!queue) {
    status.error = queue.error().message;
  } else if (auto snapshot = queue->snapshot(); !snapshot) {
    status.error = snapshot.error().message;
  } else {
    status.snapshot = std::move(*snapshot);
  }
  status.degraded = !status.snapshot || any_local_only(local);
  return status;
}

PermitState holder_permit(const ClusterStatus& status, const StatusReport& local,
                          const cluster::HolderView& holder) {
  if (holder.member.host == status.host_name) {
    for (const ActiveRun& run : local.active) {
      if (run.pid != holder.member.pid) continue;
      PermitState state = local_permit(run);
      if (state != PermitState::none) return state;
    }
  }
  return PermitState::held;
}

}  // namespace vq::admin
