// The multi-process harness plus what the watcher tests observe on their own: the history rows
// (read with the store's own query, from the database file the runs were told to use) and the
// vq-watch processes on the machine (found through /proc, not through vq).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "history_store.h"
#include "process_harness.h"

namespace vq::mp {

class WatchTest : public ShimTest {
 protected:
  std::string history_path() const { return tmp() + "/history.db"; }
  // env_for plus the test's own history database.
  Env watched_env(const std::string& id, Env overrides = {}) const;
  std::vector<history::RunRecord> rows() const;  // newest first; empty when none yet
  // Waits (bounded) until the history holds `count` rows; returns them.
  std::vector<history::RunRecord> wait_for_rows(std::size_t count) const;
};

// The pids of running vq-watch processes whose command line names run `pid`.
std::vector<pid_t> watchers_of(pid_t pid);
// The pids the kernel lists as children of `pid` (all its threads).
std::vector<pid_t> children_of(pid_t pid);
// Whether a pidfd tells how its process ended after another process reaped it (PIDFD_INFO_EXIT,
// Linux 6.15+): a watcher that starts after the end needs it.
bool kernel_has_pidfd_exit_info();

}  // namespace vq::mp
