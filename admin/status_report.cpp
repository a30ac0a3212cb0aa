#include "status_report.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "process_identity.h"

namespace vq::admin {
namespace {

constexpr const char* k_process_gone = "process gone";

// What is read under the update lock: a private copy of the table and what the locks say.
struct LockedView {
  std::unique_ptr<Table> table = std::make_unique<Table>();
  std::vector<SlotHolder> holders;
  std::vector<std::optional<pid_t>> waiter_marks;  // per waiter record
};

// A used, untorn record whose lock is no longer held: ended when its process is gone, else stale.
void judge_unlocked(StatusReport& report, StaleRecord::Kind kind, int index, pid_t pid,
                    std::string agent, std::uint64_t start_time) {
  std::string reason = stale_reason(kind, pid, start_time);
  if (reason == k_process_gone) {
    report.ended.push_back({kind, index, pid, std::move(agent)});
  } else {
    report.stale.push_back({kind, index, pid, std::move(agent), std::move(reason)});
  }
}

double seconds_between(std::uint64_t from_ms, std::uint64_t to_ms) {
  return to_ms > from_ms ? static_cast<double>(to_ms - from_ms) / 1000.0 : 0.0;
}

}  // namespace

std::string stale_reason(StaleRecord::Kind kind, pid_t pid, std::uint64_t start_time) {
  auto stat = read_proc_stat(pid);
  if (!stat || stat->state == 'Z' || stat->state == 'X') return k_process_gone;
  if (stat->start_time != start_time) return "pid reused";
  return kind == StaleRecord::Kind::holder ? "slot lock released" : "waiter mark released";
}

Result<StatusReport> collect_status(Queue& queue, std::chrono::milliseconds lock_wait) {
  LockedView view;
  {
    auto guard = queue.locks().lock_update(lock_wait);
    if (!guard) return guard.error();
    if (auto recovered = queue.table().recover(queue.dir()); !recovered) return recovered.error();
    std::memcpy(static_cast<void*>(view.table.get()), &queue.table().table(), sizeof(Table));
    view.holders = queue.locks().holders(k_max_slots);
    view.waiter_marks.resize(k_max_waiters);
    HeaderCheck check = check_header(view.table->header);
    for (int i = 0; i < k_max_waiters; ++i) {
      // With a damaged table every mark counts; otherwise only those of used records matter.
      if (check != HeaderCheck::valid || view.table->waiters[i].state != RecordState::empty) {
        view.waiter_marks[i] = queue.locks().waiter_mark_holder(i);
      }
    }
  }

  const Table& t = *view.table;
  StatusReport report;
  report.queue_dir = queue.dir().path();
  // Group mode keeps no log (see open_event_log).
  report.log_file = queue.dir().group() ? "" : queue.dir().file(k_log_file);
  report.taken_ms = wall_ms();
  report.table = check_header(t.header);
  bool readable = report.table == HeaderCheck::valid;
  if (readable) {
    report.limit = static_cast<int>(t.header.limit);
    report.paused = t.header.paused == 1;
  }

  for (const SlotHolder& holder : view.holders) {
    ActiveRun run;
    run.pid = holder.pid;
    run.slot = holder.index;
    const SlotRecord& record = t.slots[holder.index];
    if (readable && is_valid(record) && record.pid == holder.pid) {
      run.has_record = true;
      run.agent = get_text(record.agent);
      run.started_ms = record.admitted_ms;
      run.runtime_s = seconds_between(record.admitted_ms, report.taken_ms);
      run.cwd = get_text(record.cwd);
      run.command = get_text(record.command);
    }
    report.active.push_back(std::move(run));
  }
  if (!readable) {
    for (const auto& mark : view.waiter_marks) report.unrecorded_waiters += mark ? 1 : 0;
    return report;
  }

  for (int i = 0; i < k_max_slots; ++i) {
    const SlotRecord& record = t.slots[i];
    bool empty = record.state == RecordState::empty && record.pid == 0;
    if (empty) continue;
    ++report.registered;
    if (!is_valid(record)) {
      report.stale.push_back({StaleRecord::Kind::holder, i, record.pid, "", "torn record"});
      continue;
    }
    bool held = std::any_of(view.holders.begin(), view.holders.end(), [&](const SlotHolder& h) {
      return h.index == i && h.pid == record.pid;
    });
    if (!held) {
      judge_unlocked(report, StaleRecord::Kind::holder, i, record.pid,
                     std::string(get_text(record.agent)), record.start_time);
    }
  }

  std::vector<int> live;
  std::vector<char> live_state(k_max_waiters, '?');  // from the one /proc read per waiter
  for (int i = 0; i < k_max_waiters; ++i) {
    const WaiterRecord& record = t.waiters[i];
    bool empty = record.state == RecordState::empty && record.pid == 0;
    if (empty) {
      if (view.waiter_marks[i]) ++report.unrecorded_waiters;
      continue;
    }
    if (!is_valid(record, t.header.next_ticket)) {
      report.stale.push_back({StaleRecord::Kind::waiter, i, record.pid, "", "torn record"});
      continue;
    }
    auto stat = read_proc_stat(record.pid);
    if (view.waiter_marks[i] == record.pid && stat && stat->start_time == record.start_time) {
      live.push_back(i);
      live_state[i] = stat->state;
    } else {
      judge_unlocked(report, StaleRecord::Kind::waiter, i, record.pid,
                     std::string(get_text(record.agent)), record.start_time);
    }
  }
  std::sort(live.begin(), live.end(),
            [&](int a, int b) { return t.waiters[a].ticket < t.waiters[b].ticket; });
  for (std::size_t n = 0; n < live.size(); ++n) {
    const WaiterRecord& record = t.waiters[live[n]];
    WaitingRun run;
    run.pid = record.pid;
    run.agent = get_text(record.agent);
    run.position = static_cast<int>(n) + 1;
    run.ticket = record.ticket;
    run.since_ms = record.since_ms;
    run.waiting_s = seconds_between(record.since_ms, report.taken_ms);
    run.stopped = live_state[live[n]] == 'T' || live_state[live[n]] == 't';
    report.waiting.push_back(std::move(run));
  }
  return report;
}

std::vector<pid_t> active_pids(const StatusReport& report) {
  std::vector<pid_t> pids;
  for (const ActiveRun& run : report.active) pids.push_back(run.pid);
  return pids;
}

void add_usage(StatusReport& report, const ProcessSnapshot& now, const ProcessSnapshot* before) {
  for (ActiveRun& run : report.active) {
    run.usage = now.tree_usage(run.pid);
    if (before != nullptr) run.cpu_percent = cpu_percent(run.pid, *before, now);
    // Since admission, as the report's runtime; without a record, since the process started
    // (it waited before that, using next to no CPU).
    std::optional<double> seconds;
    if (run.has_record) {
      seconds = run.runtime_s;
    } else {
      seconds = process_age_s(run.pid);
    }
    if (run.usage && seconds) run.cpu_average_percent = average_cpu_percent(*run.usage, *seconds);
  }
}

}  // namespace vq::admin
