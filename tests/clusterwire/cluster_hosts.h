// Simulated hosts sharing one cluster queue: each host is its own queue directory and
// VQ_CLUSTER_HOST, all launching the real shim (and so the real vq-watch) against one real
// redis-server from tests/cluster's fixture. The fake vitest's record file, shared by all hosts,
// is the observer: ids are "<host>-<n>", and each run's stdout says whether it ran with a cluster
// permit (VQ_CLUSTER_FENCE set) or local-only.
#pragma once

#include <sys/types.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "process_harness.h"
#include "redis_fixture.h"

namespace vq::mp {

class ClusterHostsTest : public ShimTest {
 public:
  // A launch on `host` ("a", "b", "c") against the server (or `m_url`) with this TTL and limit.
  Env host_env(const std::string& host, const Env& more = {}) const;
  const std::string& tmp_path() const { return tmp(); }

 protected:
  void SetUp() override;

  Launch host_launch(const std::string& host, const std::string& id, const Env& more = {}) const;

  // Whether `id`'s vitest ran with a cluster permit (its stdout shows the fence token).
  bool ran_with_permit(const std::string& id) const;
  // The records of the runs that held a cluster permit only: the live side of the limit.
  std::vector<RecordEvent> permit_records() const;

  // The vq-watch keeping `run_pid`'s permit (found through /proc), or -1.
  static pid_t watcher_of(pid_t run_pid);
  // The history row's cluster_permit for the run of `pid` (VQ_HISTORY of these tests), or
  // "<none>" when there is no row (yet).
  std::string permit_in_history(pid_t pid) const;
  // permit_in_history once the row is there (waiting up to 10 s), else "<none>": one read, so
  // the value checked is the value that was found.
  std::string recorded_permit(pid_t pid) const;
  std::string history_path() const { return tmp() + "/history.sqlite"; }

  std::unique_ptr<test::RedisServer> m_server;
  std::string m_url;  // VQ_CLUSTER
  std::string m_ttl = "1";
  std::string m_limit = "3";
};

}  // namespace vq::mp
