// A watched (or never admitted) run as its history row.
#pragma once

#include <string>

#include "run_record.h"
#include "run_watch.h"
#include "watch_request.h"

namespace vq::watch {

// The row for a run the watcher saw end.
history::RunRecord watched_record(const WatchRequest& request, const RunObservation& seen);
// The row for a run that never started (record mode), or whose watcher found it gone.
history::RunRecord unwatched_record(const WatchRequest& request);

}  // namespace vq::watch
