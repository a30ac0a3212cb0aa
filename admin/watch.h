// `vq-admin status --watch`: the status report, redrawn until Ctrl-C.
//
// On a terminal each frame moves the cursor home and rewrites every line, clearing only the
// rest of each line and what lies below the last one, so nothing is erased before it is
// redrawn (no flicker); the cursor is hidden while watching and shown again on exit. Anywhere
// else (a pipe, a file) frames are printed one after another, separated by a blank line, with
// no escape codes.
#pragma once

#include <chrono>
#include <optional>

#include "cluster_settings.h"
#include "queue_store.h"
#include "status_text.h"

namespace vq::admin {

struct WatchOptions {
  std::chrono::milliseconds interval{1000};
  bool terminal = false;
  TextStyle style;
  int out_fd = 1;
  std::optional<cluster::ClusterSettings> cluster;  // VQ_CLUSTER: each frame shows the cluster
};

// Runs until SIGINT, SIGTERM or SIGHUP; returns the exit status (0).
int watch_status(QueueStore& queue, const WatchOptions& options);

}  // namespace vq::admin
