#include "cluster_limit.h"

#include <cstdio>

#include "cluster_queue.h"
#include "exit_codes.h"
#include "verbs.h"

namespace vq::admin {

int set_cluster_limit(const Config& config, int limit) {
  if (!config.cluster) {
    error_line(
        "limit --cluster: VQ_CLUSTER is not set — set it to the cluster's "
        "redis://host:port/db URL");
    return k_exit_config;
  }
  auto queue = cluster::ClusterQueue::connect(*config.cluster);
  if (!queue) {
    error_line(queue.error().message);
    return queue.error().kind == ErrorKind::bad_config ? k_exit_config : k_exit_unavailable;
  }
  auto before = queue->snapshot();
  if (!before) {
    error_line(before.error().message);
    return k_exit_unavailable;
  }
  if (auto changed = queue->set_limit(limit); !changed) {
    error_line(changed.error().message);
    return k_exit_unavailable;
  }
  std::string where = config.cluster->describe();
  if (before->limit == limit) {
    std::printf("The cluster limit of %s is already %d.\n", where.c_str(), limit);
  } else {
    std::printf("Cluster limit of %s changed from %d to %d%s.\n", where.c_str(), before->limit,
                limit,
                limit > before->limit ? ": waiters on every host are admitted now"
                                      : ": runs already admitted finish, nobody new is admitted "
                                        "until fewer run");
  }
  return k_exit_ok;
}

}  // namespace vq::admin
