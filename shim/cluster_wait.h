// The second tier of a launch's wait: with VQ_CLUSTER set and the local slot held, the run's
// watcher (vq-watch) waits in the cluster queue and reports on a pipe (watch/cluster_report.h);
// the shim shows that wait on its wait line and ends it on its timeout or a signal exactly as a
// local wait. The shim itself has no network code: it only reads the pipe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "wait_display.h"

namespace vq {

struct ClusterWait {
  enum class Outcome { admitted, unreachable, timed_out, interrupted };
  Outcome outcome = Outcome::unreachable;
  std::uint64_t token = 0;  // admitted: the permit's fencing token (VQ_CLUSTER_FENCE)
  std::string reason;       // unreachable: why, one sentence
  int signal = 0;           // interrupted
  std::size_t ahead = 0;    // the last count of runs ahead in the cluster queue
  double waited_s = 0;
};

struct ClusterWaitOptions {
  std::string queue;       // the cluster queue's name, for the wait line
  double timeout_s = 300;  // what is left of VQ_QUEUE_TIMEOUT; 0 waits forever
  int signal_fd = -1;      // the signalfd of the signals that end a wait, or -1
};

// Reads `report_fd` (the pipe's read end) until the watcher says admitted or unreachable, the
// pipe ends (unreachable: the watcher is gone), the timeout passes or a signal arrives.
ClusterWait wait_for_cluster_turn(int report_fd, const ClusterWaitOptions& options,
                                  WaitDisplay& display);

// "vq: waiting for the cluster queue "default": 2 ahead"
std::string cluster_waiting_line(const std::string& queue, std::size_t ahead);
// The line a cluster wait that timed out leaves, with the next step.
std::string cluster_gave_up_line(const std::string& queue, const ClusterWait& wait);

}  // namespace vq
