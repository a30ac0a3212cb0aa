#include "priority_control.h"

#include <algorithm>

#include "queue_control.h"
#include "wake_signal.h"

namespace vq::admin {
namespace {

// The waiter records in line order, and where record `index` stands in it (0-based).
struct LineView {
  std::vector<int> records;
  std::size_t place = 0;
};

LineView line_of(const QueueStore::Pass& pass, int index, std::uint64_t now_ms) {
  Line line = pass.line_around(pass.standing(index), index, now_ms);
  LineView view;
  for (const WaiterEntry& entry : line.ahead) view.records.push_back(entry.index);
  view.place = view.records.size();
  view.records.push_back(index);
  for (const WaiterEntry& entry : line.behind) view.records.push_back(entry.index);
  return view;
}

void add_heads(std::vector<int>& to_poke, const LineView& view, std::size_t heads) {
  for (std::size_t i = 0; i < view.records.size() && i < heads; ++i) {
    if (std::find(to_poke.begin(), to_poke.end(), view.records[i]) == to_poke.end()) {
      to_poke.push_back(view.records[i]);
    }
  }
}

Error not_waiting(const QueueStore& queue, pid_t pid) {
  return Error::of_kind(ErrorKind::bad_config,
                        "PID " + std::to_string(pid) + " is not waiting in the queue " +
                            queue.dir().path() +
                            " — see `vq-admin status` for the waiters (a running run keeps its "
                            "slot: priority decides admission only)");
}

}  // namespace

Result<PriorityChange> set_waiter_priority(QueueStore& queue, pid_t pid, Priority level,
                                           std::chrono::milliseconds lock_wait,
                                           const std::string& who) {
  PriorityChange change;
  std::vector<int> to_poke;
  {
    VQ_TRY_ASSIGN(pass, queue.update(lock_wait));
    if (HeaderCheck check = pass->header_check(); check != HeaderCheck::valid) {
      return damaged_table_error(queue, check);
    }
    const int index = pass->waiter_of(pid);
    if (index < 0 || pass->waiter_state(index, "vq-admin") == WaiterState::dead) {
      return not_waiting(queue, pid);
    }
    const int holders = static_cast<int>(pass->scan_holders("vq-admin").size());
    // Those one more free slot would admit watch the holders (admission_policy.h: plan_wait).
    const auto heads = static_cast<std::size_t>(std::max(pass->limit() - holders, 0) + 1);
    const std::uint64_t now = wall_ms();
    LineView before = line_of(*pass, index, now);
    change.old_level = pass->standing(index).level;
    pass->set_level(index, level);
    LineView after = line_of(*pass, index, now);
    change.new_level = level;
    change.old_position = static_cast<int>(before.place) + 1;
    change.new_position = static_cast<int>(after.place) + 1;
    to_poke.push_back(index);
    add_heads(to_poke, before, heads);
    add_heads(to_poke, after, heads);
  }
  for (int index : to_poke) wake_waiter(queue.dir(), index);
  change.woken = static_cast<int>(to_poke.size());
  QueueEvent event{EventType::priority_changed, "vq-admin"};
  event.waiter = pid;
  event.detail = "waiter=" + std::to_string(pid) +
                 " from=" + std::string(priority_name(change.old_level)) +
                 " to=" + std::string(priority_name(level)) +
                 " position=" + std::to_string(change.new_position);
  if (!who.empty()) event.detail += " " + who;
  queue.record(event);
  return change;
}

}  // namespace vq::admin
