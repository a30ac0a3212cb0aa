// `vq-admin limit --cluster N`: the cluster queue's limit, kept on the server for every host.
#pragma once

#include "config.h"

namespace vq::admin {

// Prints the change; returns an exit status (exit_codes.h): 78 when VQ_CLUSTER is unset, 69
// when the server cannot be used.
int set_cluster_limit(const Config& config, int limit);

}  // namespace vq::admin
