// What `vq-admin status` knows about a queue, collected once: who holds slots (by the kernel's
// record locks, with the table's metadata), who waits and in which order, and which table
// records no longer match reality. Rendered by status_text and status_json.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster_status.h"
#include "leftovers.h"
#include "live_figures.h"
#include "process_tree_usage.h"
#include "queue_store.h"
#include "slot_table.h"
#include "wait_reason.h"

namespace vq::admin {

// A holder as status shows it. has_record false: the lock is held but the table lost its record
// (a reset).
struct ActiveRun : Holder {
  double runtime_s = 0;
  std::optional<TreeUsage> usage;     // the holder's whole process tree
  std::optional<double> cpu_percent;  // over a sample interval (--watch, --sample); else none
  // The tree's CPU time over its run so far (since admission; without a record, since the
  // process started), like ps's %CPU: needs no sample, so a single report is instant.
  std::optional<double> cpu_average_percent;
  // What the run's watcher (vq-watch) last sampled: PSS, the peak so far, CPU; none without one.
  std::optional<LiveFigures> live;
  // The vitest workers it was granted (VQ_WORKERS), from its environment; none when unreadable.
  std::optional<int> workers;
};

struct WaitingRun {
  pid_t pid = 0;
  std::string agent;
  int position = 0;  // 1-based, in line order (turn_order.h) among live waiters
  std::uint64_t ticket = 0;
  std::uint64_t since_ms = 0;
  double waiting_s = 0;
  bool stopped = false;  // Ctrl-Z: keeps its place, passed over while stopped
  // Why this place: its level, the levels its wait has added, what the line is ordered by, and
  // its agent's turn at that effective level (0: the agent's first).
  Priority level = Priority::normal;
  int age_bonus = 0;
  Priority effective = Priority::normal;
  int round = 0;
  std::uint64_t estimate_bytes = 0;  // its memory estimate; 0 unknown
  WaitReason reason = {};            // what held it back in its last pass, with that pass's figures
};

// A record that no longer matches reality; `vq-admin cleanup` removes it.
struct StaleRecord {
  enum class Kind { holder, waiter };
  Kind kind = Kind::holder;
  int index = 0;  // slot number, or waiter record number
  pid_t pid = 0;
  std::string agent;
  std::string reason;  // "process gone", "pid reused", "slot lock released", "torn record"
};

// A record whose process has exited (and whose pid no other process has taken): a holder whose
// run ended, normally or not (the shim became vitest, so nobody is left to clear the record),
// or a waiter that died waiting (one that leaves normally clears its own record). Nothing to
// repair: the kernel freed the slot, admission passes over such a waiter, and the next launch
// (or `vq-admin cleanup`) clears the record.
struct EndedRecord {
  StaleRecord::Kind kind = StaleRecord::Kind::holder;
  int index = 0;  // slot number, or waiter record number
  pid_t pid = 0;
  std::string agent;
};

struct StatusReport {
  std::string queue_dir;
  std::string log_file;  // empty in group mode, which keeps no log
  HeaderCheck table = HeaderCheck::valid;
  int limit = 0;  // 0 when the table is not readable
  bool paused = false;
  int registered = 0;  // slot records in the table, live or stale
  std::vector<ActiveRun> active;
  std::vector<WaitingRun> waiting;
  std::vector<EndedRecord> ended;
  std::vector<StaleRecord> stale;   // what needs repair: torn, pid reused, lock released
  int unrecorded_waiters = 0;       // live waiter marks without a record (table damaged or rebuilt)
  std::vector<Leftover> leftovers;  // processes of ended runs still alive (find_leftovers)
  std::uint64_t taken_ms = 0;
  std::optional<ClusterStatus> cluster;  // VQ_CLUSTER set: the cluster queue (add_cluster_status)
};

// Reads the table and the locks under the update lock (held for a copy, microseconds), then
// judges the records from /proc with the lock released. Never changes the table. Fails with an
// error of kind lock_stuck or lock_busy when the update lock stays held longer than `lock_wait`.
Result<StatusReport> collect_status(QueueStore& queue, std::chrono::milliseconds lock_wait);

// The pids of the active runs: the roots whose trees add_usage looks up.
std::vector<pid_t> active_pids(const StatusReport& report);

// Fills each active run's usage and average CPU from `now`, and, given `before` (taken earlier),
// its CPU percentage over the interval between the two.
void add_usage(StatusReport& report, const ProcessSnapshot& now,
               const ProcessSnapshot* before = nullptr);

// Fills each active run's live figures from its watcher's entry in the queue's live figures
// file (matched by slot, pid and start time); runs without a watcher keep none.
void add_live_figures(StatusReport& report, const QueueDir& dir);

// Under VQ_CLUSTER (`settings` set), the cluster section: after add_live_figures, whose permit
// states it reads. Without a cluster it leaves `report.cluster` empty.
void add_cluster_status(StatusReport& report,
                        const std::optional<cluster::ClusterSettings>& settings);

// Why a record naming (pid, start_time) that no longer holds its lock is stale.
std::string stale_reason(StaleRecord::Kind kind, pid_t pid, std::uint64_t start_time);

}  // namespace vq::admin
