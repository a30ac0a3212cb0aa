// The queue's mechanism: the only code that touches a queue's directory, lock file and slot
// table. Everything else (the wait session, vq-admin's verbs) asks it for operations; none of
// them sees a lock byte or a table record.
//
// Truth and metadata: which slots are held is decided by the kernel's record locks (LockFile),
// released when a holder dies however it dies; the table's records are metadata for display,
// per-agent counting and the order of waiters. Every change to the table happens in a Pass,
// i.e. under the update lock; a reader repairs what a dead writer tore.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "admission_policy.h"
#include "agent.h"
#include "event_log.h"
#include "holder.h"
#include "lock_file.h"
#include "process_identity.h"
#include "queue_dir.h"
#include "queue_event.h"
#include "result.h"
#include "slot_table.h"
#include "turn_order.h"
#include "wait_reason.h"

namespace vq {

// Who is launching: what a waiter or holder record says about it.
struct RunInfo {
  ProcessIdentity self;
  Agent agent;
  std::string cwd;
  std::string command;
  Priority priority = Priority::normal;  // VQ_PRIORITY, for the waiter record and the history
  std::uint64_t age_bound_ms = static_cast<std::uint64_t>(k_default_age_bound_s * 1000);
  std::uint64_t estimate_bytes = 0;  // what the run is expected to peak at (memory admission)
};

// A waiter record as the policy needs it: where it is, whose it is, its place in line.
struct WaiterEntry {
  int index = 0;
  ProcessIdentity process;
  std::uint64_t ticket = 0;
  Claimant claimant;
  Standing standing;
  Placement placement;               // its effective level and round in the line
  std::uint64_t estimate_bytes = 0;  // what the run is expected to peak at (memory admission)
};

// The line around one waiter, in the order of turn_order.h: who goes before it, who after.
struct Line {
  std::vector<WaiterEntry> ahead;
  std::vector<WaiterEntry> behind;
  Placement mine;
};

// A private copy of the table and of what the locks said, taken in one pass (for status).
struct TableSnapshot {
  std::unique_ptr<Table> table = std::make_unique<Table>();
  std::vector<Holder> holders;                     // as judge_holders says
  std::vector<std::optional<pid_t>> waiter_marks;  // per waiter record, where it matters
};

// A record that remove_stale cleared.
struct RemovedRecord {
  bool holder = true;  // a slot record; else a waiter record
  int index = 0;
  pid_t pid = 0;
  std::uint64_t start_time = 0;
  std::string agent;
  bool torn = false;
};

// Who is live by the locks, whatever the table says: what a rebuild would forget.
struct LiveMarks {
  std::vector<Holder> holders;
  std::vector<pid_t> waiters;
  bool any() const { return !holders.empty() || !waiters.empty(); }
};

std::uint64_t wall_ms();

// What the line's order reads from a waiter record.
Standing standing_in(const WaiterRecord& record);

class QueueStore {
 public:
  // Opens (creating when needed) the queue at `path`; a blank, corrupt or older table is
  // initialised with `seed_limit`; a newer one is refused (another vq version owns it).
  // `group`: group mode (VQ_GROUP), see QueueDir::open.
  static Result<QueueStore> open(const std::string& path, int seed_limit,
                                 const std::string& log_level,
                                 std::optional<gid_t> group = std::nullopt);
  // The shim's open: like open, but the table is checked and repaired by the wait session's
  // first pass under the update lock (QueueStore::Pass::ensure_header), not in a pass of its own.
  static Result<QueueStore> open_for_launch(const std::string& path, int seed_limit,
                                            const std::string& log_level,
                                            std::optional<gid_t> group = std::nullopt);
  // Opens the queue without initialising or repairing its table: for vq-admin, which reports a
  // damaged table (and rebuilds it only when asked) instead of silently starting over.
  static Result<QueueStore> attach(const std::string& path, const std::string& log_level,
                                   std::optional<gid_t> group = std::nullopt);

  // Rebuilds the table of the queue at `path` with `seed_limit` (a valid table keeps its limit
  // and pause) — unless live holders or waiters would lose their records and `force` is unset:
  // then nothing changes and `refused` is set. Works even where the table cannot be mapped.
  struct Rebuilt {
    std::string table_state;  // what the table was
    LiveMarks live;
    bool refused = false;
    int limit = 0;
    bool paused = false;
  };
  static Result<Rebuilt> rebuild(const std::string& path, std::optional<gid_t> group,
                                 int seed_limit, bool force, std::chrono::milliseconds lock_wait);

  class Pass;
  // A pass under the update lock, waiting up to `wait` for it (error of kind lock_stuck or
  // lock_busy when it does not come).
  Result<Pass> update(std::chrono::milliseconds wait = k_update_wait_limit);

  const QueueDir& dir() const { return m_dir; }
  EventLog& log() { return m_log; }
  void record(const QueueEvent& event) { log_event(m_log, event); }

  // Whether the directory and lock file this store has open are still the ones at the queue's
  // path. When not (an age-based
  // /tmp cleaner, a user), newcomers lock another file and cannot see this store's holders and
  // waiters: a waiter must rejoin.
  bool in_place() const;
  // Opens the queue at its path again (creating what is missing) in place of the files this
  // store has, and returns the live holders seen on the old ones, which the caller adopts
  // (Pass::adopt) in its next pass. Drops this process's locks on the old lock file, so call it
  // holding no slot and no pass. On failure nothing changed: the store keeps its old files.
  Result<std::vector<Holder>> reopen(const std::string& agent_for_log);

  // Gives up waiter record `index` without the update lock: others then judge it gone.
  void unmark_waiter(int index) { m_locks.unmark_waiter(index); }

  // Right before exec: the slot is the lock on the lock file, so its descriptor must survive
  // execve; this process gives it up without closing it (closing would drop the lock).
  Status hand_over_to_exec();

 private:
  QueueStore(QueueDir dir, LockFile locks, SlotTable table, EventLog log, std::string log_level)
      : m_dir(std::move(dir)),
        m_locks(std::move(locks)),
        m_table(std::move(table)),
        m_log(std::move(log)),
        m_log_level(std::move(log_level)) {}

  // Keeps the files' times fresh for age-based cleaners: touched when an hour old.
  void freshen() const;

  QueueDir m_dir;
  LockFile m_locks;
  SlotTable m_table;
  EventLog m_log;
  std::string m_log_level;
  int m_seed_limit = k_default_limit;
};

class QueueStore::Pass {
 public:
  Pass(QueueStore& store, LockFile::UpdateGuard guard)
      : m_store(store), m_guard(std::move(guard)) {}

  // What every vq process does to the table it finds: remaps a table that shrank, initialises
  // a blank one, rebuilds a damaged or older one, clears torn records; refuses a newer layout.
  Status ensure_header(const std::string& agent_for_log);
  HeaderCheck header_check() const { return check_header(table().header); }
  const TableHeader& header() const { return table().header; }
  int limit() const { return admission_limit(table().header); }
  bool paused() const { return table().header.paused == 1; }
  // Header changes (vq-admin): call only when header_check() is valid; wake waiters afterwards.
  void set_limit(int limit) { table().header.limit = static_cast<std::uint32_t>(limit); }
  void set_paused(bool paused) { table().header.paused = paused ? 1 : 0; }

  // The live holders, as judge_holders says; clears (and logs) the records of holders that
  // have exited.
  std::vector<Holder> scan_holders(const std::string& agent_for_log);
  // Whether waiter record `index` belongs to a waiter that is running, stopped (Ctrl-Z), or
  // gone; a gone one's record is cleared and logged.
  WaiterState waiter_state(int index, const std::string& agent_for_log);

  // The used waiter records other than `mine`, placed in line (turn_order.h) with `me` (the
  // standing of record `mine`, or of a launch without one) as the clock reads `now_ms`.
  Line line_around(const Standing& me, int mine, std::uint64_t now_ms) const;
  // The standing in waiter record `index` (its level may have been changed by vq-admin).
  Standing standing(int index) const;
  // Sets the level of waiter record `index` (vq-admin priority, urgent).
  void set_level(int index, Priority level);
  // The first waiter record whose pid is `pid`, or -1.
  int waiter_of(pid_t pid) const;
  int used_waiter_records() const;
  // No used waiter record and no waiter mark held: a live waiter whose record a repair cleared
  // must not be passed either.
  bool nobody_waits() const;

  std::uint64_t take_ticket() { return table().header.next_ticket++; }
  // Takes a free waiter record for `run` with `ticket` (giving up `old_index`, if any); -1 when
  // every record is in use.
  // `kept`: the level and turn of the place taken before (a level vq-admin set stays), else
  // the run's level and its agent's turn now.
  struct KeptPlace {
    Priority level = Priority::normal;
    std::uint32_t turn = 0;
  };
  int take_place(const RunInfo& run, std::uint64_t ticket, std::uint64_t since_ms, int old_index,
                 std::optional<KeptPlace> kept = std::nullopt);
  bool holds_place(int index, const RunInfo& run, std::uint64_t ticket) const;
  void leave_place(int index);
  // Writes why waiter record `index` (ours) was not admitted in this pass, for status.
  void note_blocked(int index, const WaitReason& reason);
  // Writes the memory estimate of waiter record `index` (ours), learned while it waited, so the
  // waiters behind it and status judge by the new figure.
  void set_estimate(int index, std::uint64_t estimate_bytes);
  // Takes slot `slot` for `run` if nobody holds its lock, and writes its record.
  bool claim_slot(int slot, const RunInfo& run);

  TableSnapshot snapshot();
  // Clears torn records and the records of holders and waiters that are gone; returns them.
  std::vector<RemovedRecord> remove_stale(const std::string& agent_for_log);
  LiveMarks live_marks() const;
  // Initialises the table afresh with `limit` and `paused`.
  void rebuild(int limit, bool paused);
  // Writes slot records for live holders whose locks this lock file does not show (their lock
  // file was removed or replaced), so that they count here until they exit.
  void adopt(const std::vector<Holder>& holders, const std::string& agent_for_log);

 private:
  Table& table() { return m_store.m_table.table(); }
  const Table& table() const { return m_store.m_table.table(); }

  QueueStore& m_store;
  LockFile::UpdateGuard m_guard;
};

// The one judge of who holds a slot: the holders the kernel reports on `locks`, with their
// records' metadata where a record names the same pid; and, counted conservatively, the
// process of any other used slot record that is still alive with the recorded start time (its
// lock is on a lock file that was removed or replaced, or it closed its descriptor): lock_seen
// false. A slot whose holder died is free at once either way.
std::vector<Holder> judge_holders(const Table& table, const LockFile& locks);

}  // namespace vq
