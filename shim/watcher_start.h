// Starting a run's watcher (vq-watch) so that vitest never sees it: not in vitest's process
// tree (double fork, the middle child reaped here), holding none of its descriptors (all
// closed, /dev/null on 0-2), in its own session (no terminal, no job-control signals).
#pragma once

#include <string>

#include "config.h"
#include "watch_request.h"

namespace vq {

// VQ_WATCHER, else vq-watch beside the shim's directory: P/lib/vq/vq-watch for
// P/lib/vq/shims/vitest, build/vq-watch for build/shims/vitest.
std::string watcher_program(const Config& config);

// Starts `program` for `request` and returns once the middle child is reaped. Fail open: a
// missing program or a failed fork costs the run its history row and nothing else (no output);
// the result says whether a watcher was started. `report_fd`, when not -1, is handed down as
// the cluster watcher's report pipe (descriptor 4, request.report_fd); the caller closes its own.
bool start_watcher(const std::string& program, const watch::WatchRequest& request,
                   int report_fd = -1);
// The same for a watcher started while the launch still waits: it reads how the wait ended
// from `admission_fd` (descriptor 4, request.admission_fd; watch/admission_message.h).
bool start_pending_watcher(const std::string& program, const watch::WatchRequest& request,
                           int admission_fd);

}  // namespace vq
