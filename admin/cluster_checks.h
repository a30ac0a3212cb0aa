// `vq-admin doctor`'s checks of the cluster queue's server (VQ_CLUSTER): the connection and
// its authentication, the server's version, its clock against this host's, and persistence.
// None when VQ_CLUSTER is unset.
#pragma once

#include <vector>

#include "cluster_queue.h"
#include "config.h"
#include "doctor.h"

namespace vq::admin {

// Beyond this the skew is reported as a problem: vq itself reads only the server's clock, but
// times shown on a host (a holder's "since") are then off by as much.
inline constexpr std::int64_t k_clock_skew_problem_ms = 2000;

std::vector<DoctorCheck> cluster_checks(const EnvLookup& env);

// The checks from what connecting found: pure, so tests give it any facts.
std::vector<DoctorCheck> judge_cluster(const cluster::ClusterSettings& settings,
                                       const Result<cluster::ServerFacts>& facts);

}  // namespace vq::admin
