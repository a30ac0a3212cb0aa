#include "status_report.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "process_identity.h"
#include "worker_budget.h"

namespace vq::admin {
namespace {

constexpr const char* k_process_gone = "process gone";

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
  if (!stat || has_exited(*stat)) return k_process_gone;
  if (stat->start_time != start_time) return "pid reused";
  return kind == StaleRecord::Kind::holder ? "slot lock released" : "waiter mark released";
}

namespace {

void add_active(StatusReport& report, const TableSnapshot& view, bool readable) {
  const Table& t = *view.table;
  for (const Holder& holder : view.holders) {
    ActiveRun run;
    static_cast<Holder&>(run) = holder;
    // A damaged table's records cannot be trusted, whatever judge_holders matched.
    if (!readable || !is_valid(t.slots[holder.slot])) {
      Holder bare;
      bare.slot = holder.slot;
      bare.pid = holder.pid;
      bare.lock_seen = holder.lock_seen;
      static_cast<Holder&>(run) = bare;
    }
    if (run.has_record) run.runtime_s = seconds_between(run.admitted_ms, report.taken_ms);
    run.workers = granted_workers(run.pid);
    report.active.push_back(std::move(run));
  }
}

void judge_slot_records(StatusReport& report, const TableSnapshot& view) {
  const Table& t = *view.table;
  for (int i = 0; i < k_max_slots; ++i) {
    const SlotRecord& record = t.slots[i];
    if (is_empty(record)) continue;
    ++report.registered;
    if (!is_valid(record)) {
      report.stale.push_back({StaleRecord::Kind::holder, i, record.pid, "", "torn record"});
      continue;
    }
    if (!is_held(view.holders, i, record.pid)) {
      judge_unlocked(report, StaleRecord::Kind::holder, i, record.pid,
                     std::string(get_text(record.agent)), record.start_time);
    }
  }
}

// What the waiter itself found in its last pass (it writes the reason into its record), with
// today's count of busy slots.
WaitReason recorded_reason(const WaiterRecord& record, const StatusReport& report) {
  WaitReason reason;
  reason.block = static_cast<WaitBlock>(record.blocked);
  reason.busy = static_cast<int>(report.active.size());
  reason.limit = report.limit;
  reason.need = record.room_need;
  reason.available = record.room_available;
  reason.growing = record.room_growing;
  reason.reserve = record.room_reserve;
  reason.pressure_percent = record.pressure_permille / 10.0;
  return reason;
}

void judge_waiter_records(StatusReport& report, const TableSnapshot& view) {
  const Table& t = *view.table;
  std::vector<int> live;
  std::vector<char> live_state(k_max_waiters, '?');  // from the one /proc read per waiter
  for (int i = 0; i < k_max_waiters; ++i) {
    const WaiterRecord& record = t.waiters[i];
    if (is_empty(record)) {
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
  std::vector<Standing> standings;
  for (int i : live) standings.push_back(standing_in(t.waiters[i]));
  const std::vector<Placement> line = line_order(standings, report.taken_ms);
  for (std::size_t n = 0; n < line.size(); ++n) {
    const int index = live[line[n].index];
    const WaiterRecord& record = t.waiters[index];
    WaitingRun run;
    run.pid = record.pid;
    run.agent = get_text(record.agent);
    run.position = static_cast<int>(n) + 1;
    run.ticket = record.ticket;
    run.since_ms = record.since_ms;
    run.waiting_s = seconds_between(record.since_ms, report.taken_ms);
    run.stopped = is_stopped(ProcStat{live_state[index]});
    run.level = standings[line[n].index].level;
    run.effective = line[n].effective;
    run.age_bonus = static_cast<int>(run.effective) - static_cast<int>(run.level);
    run.round = line[n].round;
    run.estimate_bytes = record.estimate_bytes;
    run.reason = recorded_reason(record, report);
    report.waiting.push_back(std::move(run));
  }
}

}  // namespace

Result<StatusReport> collect_status(QueueStore& queue, std::chrono::milliseconds lock_wait) {
  TableSnapshot view;
  {
    VQ_TRY_ASSIGN(pass, queue.update(lock_wait));
    view = pass->snapshot();
  }
  const Table& t = *view.table;
  StatusReport report;
  report.queue_dir = queue.dir().path();
  // Group mode keeps no log (see open_event_log).
  report.log_file = queue.dir().group() ? "" : queue.dir().file(k_log_file);
  report.taken_ms = wall_ms();
  report.table = check_header(t.header);
  const bool readable = report.table == HeaderCheck::valid;
  if (readable) {
    report.limit = static_cast<int>(t.header.limit);
    report.paused = t.header.paused == 1;
  }
  add_active(report, view, readable);
  if (!readable) {
    for (const auto& mark : view.waiter_marks) report.unrecorded_waiters += mark ? 1 : 0;
    return report;
  }
  judge_slot_records(report, view);
  judge_waiter_records(report, view);
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

void add_live_figures(StatusReport& report, const QueueDir& dir) {
  if (report.active.empty()) return;
  auto live = LiveFiguresFile::open(dir);
  if (!live) return;
  for (ActiveRun& run : report.active) {
    if (run.start_time != 0)
      run.live = live->read(run.slot, ProcessIdentity{run.pid, run.start_time});
  }
}

void add_cluster_status(StatusReport& report,
                        const std::optional<cluster::ClusterSettings>& settings) {
  if (settings) report.cluster = collect_cluster_status(*settings, report);
}

}  // namespace vq::admin
