// Configuration from the environment: every VQ_* variable, plus the seed's VITEST_* names.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>

#include "cluster_settings.h"
#include "result.h"
#include "room_policy.h"
#include "turn_order.h"

namespace vq {

inline constexpr int k_default_limit = 4;
inline constexpr int k_max_limit = 64;  // also the number of slot lock bytes in the table
inline constexpr double k_default_timeout_s = 300;
inline constexpr double k_max_timeout_s = 7 * 24 * 3600;

struct Config {
  std::string queue_dir;                   // VQ_QUEUE_DIR; empty means the per-user default
  std::optional<gid_t> group;              // VQ_GROUP: share the queue with this group's members
  int limit = k_default_limit;             // VQ_MAX_PROCESSES: seeds the limit of a new queue
  double timeout_s = k_default_timeout_s;  // VQ_QUEUE_TIMEOUT; 0 waits forever
  std::optional<std::string> agent_id;     // VQ_AGENT_ID, when given explicitly
  int per_agent = 1;                       // VQ_PER_AGENT: runs at once per explicit agent id
  std::string log_level = "info";          // VQ_LOG_LEVEL
  bool disable = false;                    // VQ_DISABLE
  bool fail_closed = false;                // VQ_FAIL_CLOSED
  bool single_worker = true;               // VQ_SINGLE_WORKER
  std::string real_vitest;                 // VQ_REAL_VITEST
  std::string holder_marker;               // VQ_HOLDER: set by vq for runs inside a holder's tree

  // Run history (docs/HISTORY.md).
  std::string history;     // VQ_HISTORY: the history database; empty means the default place
  std::string state_home;  // $XDG_STATE_HOME if absolute, else $HOME/.local/state; "" if neither
  // Priorities (turn_order.h): this launch's level, and how long until waiting has raised any
  // level to the top aged one.
  Priority priority = Priority::normal;               // VQ_PRIORITY: low, normal, high
  double priority_max_age_s = k_default_age_bound_s;  // VQ_PRIORITY_MAX_AGE
  // Run watching (issue 15): a vq-watch per run records it in the history.
  bool watch = true;    // VQ_WATCH: 0 starts no watcher (no history row, no live figures)
  std::string watcher;  // VQ_WATCHER: the vq-watch to start; empty: the one beside the shim

  // Memory-aware admission (issue 16).
  bool limit_auto = false;                       // VQ_MAX_PROCESSES=auto: from cores and memory
  bool memory_admission = true;                  // VQ_MEMORY_ADMISSION=0: the slot count alone
  std::optional<std::uint64_t> memory_estimate;  // VQ_MEMORY_ESTIMATE: this launch's, in bytes
  MemoryReserve memory_reserve;                  // VQ_MEMORY_RESERVE: bytes or a percentage
  bool reserve_growing = true;                   // VQ_MEMORY_RESERVE_GROWING=0: leave the term out
  double memory_pressure_percent = 10;           // VQ_MEMORY_PRESSURE: PSI some, % of time

  // A queue across machines (issue 19): VQ_CLUSTER and its VQ_CLUSTER_* companions. Unset
  // VQ_CLUSTER: nothing (the companions are not read).
  std::optional<cluster::ClusterSettings> cluster;
};

// Looks a variable up; returns nullptr when unset. Injectable so tests need no real environment.
using EnvLookup = std::function<const char*(const char* name)>;
EnvLookup process_env();

// Whether this process runs with more privilege than the user whose environment it inherited:
// the kernel set AT_SECURE (a setuid, setgid or file-capability exec, and any exec by such a
// process while its effective ids differ from its real ones), or its effective ids differ from
// its real ones now. Such a process must not let that user's VQ_* variables steer it.
bool runs_privileged();

// `env` as a privileged process may read it: every VQ_* and VITEST_* variable reads as unset
// (they name programs to run, directories to write, a target to exec), except the shim's loop
// guards VQ_SHIM_DEPTH and VQ_SHIM_CHAIN, which can only make it refuse or skip a file.
EnvLookup without_user_settings(EnvLookup env);

// Reads every variable; the first bad value is an error naming the variable and what it accepts.
Result<Config> load_config(const EnvLookup& env);

}  // namespace vq
