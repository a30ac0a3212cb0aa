// Cancelling a waiter (the dashboard's "cancel"): SIGTERM to a process the queue lists as
// waiting, which then leaves as on Ctrl-C: its wait session clears its record, logs
// `interrupted`, and the launch exits with 128+15.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

#include "queue_store.h"

namespace vq::admin {

// Refuses a pid that is not waiting in this queue (a holder, a stranger, a waiter gone):
// an error with errno ESRCH. The signal goes through a pidfd opened before the check, so a
// pid reused in between is never hit. `who` goes into the `cancelled` log line.
Result<std::string> cancel_waiter(QueueStore& queue, pid_t pid, std::chrono::milliseconds lock_wait,
                                  const std::string& who);

}  // namespace vq::admin
