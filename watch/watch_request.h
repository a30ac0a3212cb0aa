// What the shim tells vq-watch on its command line: which run to watch (or, for a wait that
// ended without admission, the facts to record) and the run's metadata for its history row.
//
//   vq-watch watch  KEY=VALUE...   sample the run until it ends, then record it
//   vq-watch record KEY=VALUE...   record a run that never started (end=timed_out|interrupted)
//
// With report_fd=N (VQ_CLUSTER set) `watch` first waits for the run's cluster permit, writing
// one line per event to that pipe (watch/cluster_report.h), then keeps the permit's lease while
// it watches; record=0 (VQ_WATCH=0) keeps the lease and records nothing.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "result.h"

namespace vq::watch {

// The watcher's niceness: below vitest when they compete for a core (its start and its
// samples), without being starved the way SCHED_IDLE would be under a run that keeps every core
// busy. A cluster watcher lowers itself only once the run is admitted: until then the shim
// waits for it.
inline constexpr int k_watcher_nice = 10;

struct WatchRequest {
  enum class Mode { watch, record };
  Mode mode = Mode::watch;
  std::string queue_dir;
  int slot = -1;  // the slot the run holds (watch mode)
  pid_t pid = 0;
  std::uint64_t start_time = 0;  // the run's /proc/PID/stat start time
  int pidfd = -1;  // an inherited pidfd of the run (watch mode), or -1: the watcher opens one
  std::string agent;
  std::string cwd;
  std::string command;
  std::string vitest;  // the real vitest's path (or the vitest.mjs node runs)
  std::string vitest_version;
  int priority = 1;  // the launch's level (core/turn_order Priority)
  std::int64_t queued_at_ms = 0;
  std::optional<std::int64_t> admitted_at_ms;
  // Record mode: how and when the wait ended.
  std::string end;  // "timed_out" or "interrupted"
  int end_code = 0;
  std::int64_t ended_at_ms = 0;
  // Cluster (watch mode): the report pipe's write end, or -1 for a run without a cluster.
  int report_fd = -1;
  bool record = true;  // false: a cluster run under VQ_WATCH=0 — keep the lease, record nothing
  // A pending watcher (started while the launch waited): the pipe it reads how the wait ended
  // from (watch/admission_message.h), or -1.
  int admission_fd = -1;
  // The run's memory cgroup OOM-kill counter (watch/oom_counter.h) and its value, read by the
  // shim before vitest starts: a run killed before its watcher is up is still seen as OOM-killed.
  std::string oom_file;
  std::optional<std::uint64_t> oom_kills_before;
};

// The command line that asks for `request` (argv[0] not included).
std::vector<std::string> to_arguments(const WatchRequest& request);
// Parses argv[1..]; an error names the bad argument.
Result<WatchRequest> parse_arguments(const std::vector<std::string>& args);
// Applies one KEY=VALUE argument; false for an unknown key or a bad value.
bool apply_argument(WatchRequest& request, const std::string& argument);

}  // namespace vq::watch
