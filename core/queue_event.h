// What happens in a queue, as values: each event a struct with named fields, rendered to the
// event log's line in one place (render_details), so that other consumers (a run history, a
// dashboard) read the fields instead of parsing text.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace vq {

class EventLog;

enum class EventType {
  created,              // a blank table was initialised
  repaired,             // a damaged table or torn records were repaired
  released_by_exit,     // a holder's record was cleared: its process has exited
  dropped_dead_waiter,  // a waiter's record was cleared: its process has gone
  update_lock_stuck,    // the update lock is held by a stopped or stuck process
  update_lock_busy,     // the update lock stayed contended for a whole pass
  queue_full,           // no free waiter record
  queued,               // a launch must wait
  admitted,             // a launch took a slot
  interrupted,          // a signal ended the wait
  timed_out,            // the wait ran past VQ_QUEUE_TIMEOUT
  queue_replaced,       // the lock file at the queue's path is no longer the one this process had
  limit_changed,        // vq-admin limit
  paused,               // vq-admin pause
  resumed,              // vq-admin resume
  priority_changed,     // vq-admin priority, urgent
  reset,                // vq-admin reset rebuilt the table
  failed_open,          // the queue cannot be used: the run goes ahead unqueued
  refused,              // the queue cannot be used and VQ_FAIL_CLOSED=1: the run is refused
  history_failed,       // a run's record could not be written to the history (detail: why)
  history_rebuilt,      // the history was unreadable: moved aside and started anew (detail)
  cancelled,            // a waiter was sent SIGTERM from the dashboard (vq-admin serve)
  cluster_unreachable,  // VQ_CLUSTER could not be used: local-only, or refused (detail: why)
};

const char* event_name(EventType type);
bool is_warning(EventType type);

struct QueueEvent {
  QueueEvent(EventType event_type, std::string event_agent)
      : type(event_type), agent(std::move(event_agent)) {}

  EventType type;
  std::string agent;        // whose event ("-" when none)
  std::optional<int> slot;  // admitted, released_by_exit
  std::optional<std::uint64_t> ticket;
  std::optional<pid_t> holder;             // released_by_exit: the holder that exited
  std::optional<pid_t> waiter;             // dropped_dead_waiter: the waiter that went
  std::optional<std::uint64_t> held_s;     // released_by_exit: how long the slot was held
  std::optional<std::uint64_t> waited_ms;  // admitted, timed_out
  std::optional<int> position;             // queued: 1-based place among live waiters
  std::optional<int> busy;                 // queued: holders at the time
  std::optional<int> limit;                // queued, created, limit_changed (the new one)
  std::optional<int> old_limit;            // limit_changed
  std::optional<int> signal;               // interrupted
  std::string seen_by;                     // released_by_exit, dropped_dead_waiter: who noticed
  std::string cwd;                         // admitted
  std::string holders;                     // timed_out: " pid/agent" per holder
  std::string detail;  // free text: repaired, lock, queue-full, replaced, history-failed;
                       // who steered: limit, pause, resume, cancelled
};

// The event's details as the log line shows them after "agent=… event=…".
std::string render_details(const QueueEvent& event);

// Writes the event to `log` at its level.
void log_event(EventLog& log, const QueueEvent& event);

}  // namespace vq
