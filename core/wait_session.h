// A wait session: one launch waiting in line for a slot, from its first pass under the update
// lock to admission, timeout or a signal. It keeps the wait's state (ticket, waiter record,
// FIFOs) and runs the loop as named steps; the store does the locking, the policy the judging.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "poke_budget.h"
#include "queue_store.h"
#include "room_check.h"
#include "wake_signal.h"

namespace vq {

struct WaitSnapshot {
  int limit = 0;
  bool paused = false;
  std::vector<Holder> holders;
  int position = 0;                       // 1-based place in line (turn_order.h) among waiters
  Priority level = Priority::normal;      // this run's level
  int age_bonus = 0;                      // levels gained by waiting
  Priority effective = Priority::normal;  // what the line is ordered by
  int waiting = 0;                        // live waiters in all
  double waited_s = 0;
  std::string note;        // why the queue cannot be read right now (a stuck update lock), if so
  WaitReason reason = {};  // what held it back in the last pass
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
  // Memory-aware admission: when set, a waiter whose turn it is is admitted only when the room
  // covers its estimate (RunInfo::estimate_bytes); null: the slot count alone.
  RoomCheck* room = nullptr;
  // The run's estimate as learned since the wait began, asked by the waiter whose turn it is
  // each time it judges room: nullopt keeps the estimate it has. Null: the estimate is fixed
  // (VQ_MEMORY_ESTIMATE). The caller keeps it cheap (it runs under the update lock).
  std::function<std::optional<std::uint64_t>()> learned_estimate = {};
};

struct Acquired {
  enum class Outcome { admitted, timed_out, interrupted };
  Outcome outcome = Outcome::admitted;
  int slot = -1;
  int signal = 0;
  double waited_s = 0;
  std::uint64_t estimate_bytes = 0;  // the run's estimate at the end (learned while it waited)
  WaitSnapshot last;                 // what the queue looked like at the end of the wait
};

// Waits in line (turn_order.h) until a slot is ours, the timeout passes, or a signal arrives on
// options.signal_fd. On admission the slot's record lock is held by this process.
Result<Acquired> acquire(QueueStore& store, const RunInfo& run, const AcquireOptions& options,
                         WaitObserver& observer);

class WaitSession {
 public:
  WaitSession(QueueStore& store, const RunInfo& run, const AcquireOptions& options,
              WaitObserver& observer);
  Result<Acquired> run();

 private:
  // What one pass decided: admitted to `slot`, or whom to watch while asleep; and whom to poke
  // once the update lock is released.
  struct PassOutcome {
    int slot = -1;
    std::vector<ProcessIdentity> watched;
    std::vector<int> to_poke;
  };
  struct Sleep {
    std::optional<int> signal;
  };

  Result<PassOutcome> pass();
  Result<PassOutcome> pass_locked(QueueStore::Pass& pass);
  Result<PassOutcome> locked_pass(QueueStore::Pass& pass);
  Result<PassOutcome> lock_not_had(const Error& error);
  void rejoin();
  void take_place(QueueStore::Pass& pass);
  Standing my_standing(const QueueStore::Pass& pass);
  bool try_admit(QueueStore::Pass& pass, const std::vector<Holder>& holders,
                 const std::vector<WaiterEntry>& behind, PassOutcome& outcome);
  void plan_sleep(const QueueScene& scene, const StateOf& state_of, const Line& line,
                  const TurnWalk& walk, PassOutcome& outcome);
  void refresh_estimate(QueueStore::Pass& pass);
  std::optional<RoomVerdict> judge_room(const std::vector<Holder>& holders,
                                        const std::vector<WaiterEntry>& ahead,
                                        const TurnWalk& walk);
  void note_waiting(const QueueStore::Pass& pass, const std::vector<Holder>& holders,
                    const Line& line);
  Acquired admitted(int slot);
  void report_waiting();
  Sleep sleep(const std::vector<ProcessIdentity>& watched);
  int sleep_ms(bool changed);
  bool timed_out() const;
  void leave();
  Acquired ended(Acquired::Outcome outcome) const;
  double waited_s() const;

  QueueStore& m_store;
  RunInfo m_run;  // a copy: its estimate may be learned anew while it waits
  const AcquireOptions& m_options;
  WaitObserver& m_observer;
  const std::chrono::steady_clock::time_point m_started;
  const std::uint64_t m_since_ms;

  std::uint64_t m_ticket = 0;                // 0 until the first pass takes one
  Priority m_level;                          // the run's, or what vq-admin set on our record since
  bool m_watching_holders = false;           // the last pass's plan
  std::optional<std::uint32_t> m_fair_turn;  // fair turns: fixed when we first take a place
  int m_index = -1;                          // our waiter record, marked by our lock on its byte
  bool m_announced = false;
  bool m_warned_stuck = false;  // logged a stopped or stuck holder of the update lock
  bool m_noted_busy = false;    // logged a contended update lock
  bool m_warned_full = false;
  int m_quick_rescans = 0;
  WaitSnapshot m_snapshot;
  // Opened under the update lock in the pass that finds we must wait, so a header change made
  // after any scan wakes us (vq-admin changes the header under that lock, then pokes). A launch
  // admitted at once never opens it.
  std::optional<WakeListener> m_wake;
  // Our own FIFO, poked by the waiter ahead of us when it is admitted (wake_signal.h).
  std::optional<WakeListener> m_turn;
  PokeBudget m_pokes;
  // Holders seen on a removed or replaced lock file, to adopt into the new table in the next pass.
  std::vector<Holder> m_carried;
  bool m_warned_reopen = false;
  bool m_stranded = false;  // the queue's path could not be opened again: admit nobody here
};

}  // namespace vq
