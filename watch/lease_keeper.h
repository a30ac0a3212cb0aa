// The run's lease keeper: after admission the watcher renews the cluster permit every TTL/3 on
// a thread of its own (a slow or unreachable server never delays the samples), retries with
// backoff when the server is lost (the run goes on; its permit is local-only until a renewal
// succeeds again, or a restarted-empty server takes its re-registration), and gives the permit
// back when the run ends. A renewal answered `lost` (the lease expired, e.g. the watcher was
// stopped past the TTL, or was fenced) is final: the run keeps going, its permit stays lost.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "cluster_permit.h"
#include "cluster_queue.h"
#include "cluster_settings.h"

namespace vq::watch {

class LeaseKeeper {
 public:
  LeaseKeeper(const cluster::ClusterSettings& settings, cluster::ClusterQueue queue,
              cluster::Permit permit);
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;
  ~LeaseKeeper();

  PermitState state() const { return static_cast<PermitState>(m_state.load()); }
  // The state as the live figures carry it (watch_run publishes it with each sample).
  const std::atomic<int>& published_state() const { return m_state; }
  // Stops renewing and releases the permit (a stale one changes nothing on the server);
  // returns the permit's state at the run's end.
  PermitState finish();

 private:
  void keep();
  std::chrono::milliseconds renew_once();
  void stop();

  const cluster::ClusterSettings m_settings;
  std::optional<cluster::ClusterQueue> m_queue;  // none while the server is lost
  cluster::Permit m_permit;                      // renew() moves its epoch on a re-registration
  std::atomic<int> m_state{static_cast<int>(PermitState::held)};
  std::chrono::milliseconds m_backoff;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;
  std::thread m_thread;
};

}  // namespace vq::watch
