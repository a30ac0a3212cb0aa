#include "cluster_checks.h"

#include <cstdlib>

namespace vq::admin {

std::vector<DoctorCheck> judge_cluster(const cluster::ClusterSettings& settings,
                                       const Result<cluster::ServerFacts>& facts) {
  if (!facts) {
    // Unreachable (down, stopped, cut off) is no fault in the settings: say so, so nobody
    // rewrites a right VQ_CLUSTER while the server is what needs attention.
    bool settings_fault = facts.error().kind == ErrorKind::bad_config;
    return {DoctorCheck{"cluster", false, facts.error().message,
                        settings_fault
                            ? "fix VQ_CLUSTER (or VQ_CLUSTER_PASSWORD_FILE) as the message says, "
                              "or unset VQ_CLUSTER to use this machine's limit alone"
                            : "start or resume redis-server at that address, or mend the network "
                              "to it (meanwhile runs here go on under this machine's limit only, "
                              "unless VQ_FAIL_CLOSED=1)"}};
  }
  std::vector<DoctorCheck> checks;
  checks.push_back(
      {"cluster", true,
       "connected and authenticated to " + settings.describe() + " as host " + settings.host_name,
       ""});
  bool recent = facts->major_version >= 7;
  checks.push_back({"server", recent, "Redis " + facts->version,
                    recent ? "" : "upgrade the server to Redis 7 or later"});
  std::int64_t skew = facts->clock_skew_ms;
  bool close = std::llabs(skew) <= k_clock_skew_problem_ms;
  checks.push_back({"clock", close,
                    "server clock " + std::string(skew >= 0 ? "+" : "") + std::to_string(skew) +
                        " ms from this host's (vq times leases by the server's clock only)",
                    close ? "" : "synchronise this host's clock (chrony, systemd-timesyncd)"});
  checks.push_back({"persist", facts->persistent,
                    facts->persistent
                        ? "appendonly on: a restart keeps the holders"
                        : std::string("appendonly off: a restart forgets the holders") +
                              (facts->saves_dumps ? " or loads an old dump.rdb" : "") +
                              " (they re-register within one VQ_CLUSTER_TTL, and nobody new "
                              "is admitted meanwhile)",
                    facts->persistent ? "" : "set appendonly yes in the server's redis.conf"});
  return checks;
}

std::vector<DoctorCheck> cluster_checks(const EnvLookup& env) {
  auto config = load_config(env);
  if (!config || !config->cluster) return {};  // the queue check reports a bad configuration
  auto queue = cluster::ClusterQueue::connect(*config->cluster);
  if (!queue) return judge_cluster(*config->cluster, queue.error());
  return judge_cluster(*config->cluster, queue->server_facts());
}

}  // namespace vq::admin
