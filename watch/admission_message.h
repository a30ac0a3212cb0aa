// What a pending watcher (one the shim started while its launch still waited, so that the
// handoff does not pay for the watcher's start) is told on its admission socket: one line, once.
//
//   watch slot=N admitted_ms=T [oom_kills=K]          admitted: watch the run from now on
//   record end=timed_out|interrupted end_code=S ended_ms=T   the wait ended without a slot
//
// No line, the socket closed (the shim was killed while it waited): nothing is recorded, as for a
// launch that never had a watcher. The OOM baseline is read when the line is written, just
// before vitest starts, not when the watcher was started.
#pragma once

#include <string>
#include <string_view>

#include "watch_request.h"

namespace vq::watch {

// The line for `outcome`: its mode and the fields that mode needs.
std::string admission_message(const WatchRequest& outcome);
// Applies a line to `request` (its mode and fields); false for anything else.
bool apply_admission_message(std::string_view line, WatchRequest& request);
// Reads one line from `fd` (blocking) and applies it; false on end of file or a bad line.
bool await_admission(int fd, WatchRequest& request);

}  // namespace vq::watch
