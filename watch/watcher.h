// vq-watch: one run's watcher, started by the shim (detached, outside vitest's process tree).
// Prints nothing: its standard descriptors are /dev/null, and a failure costs only the row.
#pragma once

namespace vq::watch {

// The whole program: parse the request, watch the run (watch mode), append its history row.
// Returns the exit status (0, or 2 for a bad command line, 1 when the row was not written).
int run_watcher(int argc, char** argv);

}  // namespace vq::watch
