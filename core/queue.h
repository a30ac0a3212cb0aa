// A queue: its directory, slot table, lock file and log, and admission into a slot.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "admission_plan.h"
#include "agent.h"
#include "config.h"
#include "event_log.h"
#include "lock_file.h"
#include "process_identity.h"
#include "queue_dir.h"
#include "result.h"
#include "slot_table.h"

namespace vq {

struct RunInfo {
  ProcessIdentity self;
  Agent agent;
  std::string cwd;
  std::string command;
};

// A slot holder as the kernel reports it, with the table's metadata when it matches.
struct HolderInfo {
  int slot = 0;
  pid_t pid = 0;
  bool has_record = false;  // the slot record names this very pid
  std::string agent;
  std::uint64_t admitted_ms = 0;
  std::string cwd;
  std::string command;
};

struct WaitSnapshot {
  int limit = 0;
  bool paused = false;
  std::vector<HolderInfo> holders;
  int position = 0;  // 1-based place among live waiters
  int waiting = 0;   // live waiters in all
  double waited_s = 0;
  std::string note;  // why the queue cannot be read right now (a stuck update lock), if so
};

class WaitObserver {
 public:
  virtual ~WaitObserver() = default;
  virtual void on_wait_start(const WaitSnapshot& snapshot) = 0;
  virtual void on_progress(const WaitSnapshot& snapshot) = 0;
  virtual void on_admitted(double waited_s) = 0;
};

struct AcquireOptions {
  double timeout_s = 300;  // 0 waits forever
  int per_agent = 1;
  int signal_fd = -1;  // a signalfd for the signals that end the wait, or -1
};

struct Acquired {
  enum class Outcome { admitted, timed_out, interrupted };
  Outcome outcome = Outcome::admitted;
  int slot = -1;
  int signal = 0;
  double waited_s = 0;
  WaitSnapshot last;  // what the queue looked like at the end of the wait
};

std::uint64_t wall_ms();

class Queue {
 public:
  // Opens (creating when needed) the queue at `path`; a blank, corrupt or older table is
  // initialised with `seed_limit`; a newer one is refused (another vq version owns it).
  // `group`: group mode (VQ_GROUP), see QueueDir::open.
  static Result<Queue> open(const std::string& path, int seed_limit, const std::string& log_level,
                            std::optional<gid_t> group = std::nullopt);
  // Opens the queue without initialising or repairing its table: for vq-admin, which reports a
  // damaged table (and rebuilds it only when asked) instead of silently starting over.
  static Result<Queue> attach(const std::string& path, const std::string& log_level,
                              std::optional<gid_t> group = std::nullopt);

  // Waits in ticket order until a slot is ours, the timeout passes, or a signal arrives on
  // options.signal_fd. On admission the slot's record lock is held by this process.
  Result<Acquired> acquire(const RunInfo& run, const AcquireOptions& options,
                           WaitObserver& observer);

  const QueueDir& dir() const { return m_dir; }
  LockFile& locks() { return m_locks; }
  SlotTable& table() { return m_table; }
  EventLog& log() { return m_log; }

  // Under the update lock: the live holders, as the slot locks say; clears (and logs) the
  // records of holders that have exited.
  std::vector<HolderInfo> scan_holders(const std::string& agent_for_log);

  // Under the update lock: whether waiter record `index` belongs to a waiter that is running,
  // stopped (Ctrl-Z), or gone; a gone one's record is cleared and logged.
  WaiterState waiter_state(int index, const std::string& agent_for_log);

 private:
  Queue(QueueDir dir, LockFile locks, SlotTable table, EventLog log, int seed_limit)
      : m_dir(std::move(dir)),
        m_locks(std::move(locks)),
        m_table(std::move(table)),
        m_log(std::move(log)),
        m_seed_limit(seed_limit) {}

  Status ensure_header(const std::string& agent_for_log);

  QueueDir m_dir;
  LockFile m_locks;
  SlotTable m_table;
  EventLog m_log;
  int m_seed_limit;
};

}  // namespace vq
