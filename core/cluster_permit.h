// A run's cluster permit as its lease keeper (vq-watch) last knew it: what the history row,
// the live figures (LiveFigures::cluster_permit, numbered in this order) and `status` show.
#pragma once

#include <string_view>

namespace vq {

enum class PermitState {
  none,        // no cluster (VQ_CLUSTER unset)
  held,        // admitted, the lease renewed in time
  lost,        // the lease expired or was fenced while the run went on (sticky)
  local_only,  // no cluster queue reachable now: the run has this machine's limit only
};

// "", "held", "lost", "local-only": the history's `cluster_permit` and status's `permit`.
std::string_view permit_name(PermitState state);
// The state of a LiveFigures::cluster_permit number; none for anything else.
PermitState permit_from_number(int number);

}  // namespace vq
