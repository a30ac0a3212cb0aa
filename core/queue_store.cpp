#include "queue_store.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "orphan_holders.h"
#include "test_hooks.h"

namespace vq {
namespace {

// How long QueueStore::open waits for the update lock; a stuck lock is not fatal there, the
// wait session checks the header again in its own passes.
constexpr std::chrono::milliseconds k_open_wait{250};
// Files older than this are touched on open: cheaper than a write per launch, and far inside
// every age-based cleaner's threshold (days).
constexpr time_t k_freshen_after_s = 3600;

// Alive, and the very process the record names (not a later one with its pid).
bool is_alive_as(pid_t pid, std::uint64_t start_time) {
  // Most such records are of runs that just ended: a signal 0 tells them gone without a path walk.
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  auto stat = read_proc_stat(pid);
  return stat && !has_exited(*stat) && stat->start_time == start_time;
}

std::uint64_t held_seconds(std::uint64_t since_ms) {
  std::uint64_t now = wall_ms();
  return now > since_ms ? (now - since_ms) / 1000 : 0;
}

void write_waiter(WaiterRecord& record, const RunInfo& run, std::uint64_t ticket,
                  std::uint64_t since_ms, QueueStore::Pass::KeptPlace place) {
  record.state = RecordState::used;
  record.pid = run.self.pid;
  record.start_time = run.self.start_time;
  test_hooks::pause_in_update("waiter-record");
  record.ticket = ticket;
  record.since_ms = since_ms;
  record.agent_explicit = run.agent.explicit_id ? 1 : 0;
  record.level = static_cast<std::uint32_t>(place.level);
  record.age_bound_ms = static_cast<std::uint32_t>(run.age_bound_ms);
  record.turn = place.turn;
  record.spare = 0;
  set_text(record.agent, run.agent.id);
  record.estimate_bytes = run.estimate_bytes;
  record.blocked = 0;
  record.pressure_permille = 0;
  record.room_available = record.room_growing = record.room_reserve = record.room_need = 0;
  seal(record);
}

void write_slot(SlotRecord& record, const RunInfo& run) {
  record.state = RecordState::used;
  record.pid = run.self.pid;
  record.start_time = run.self.start_time;
  test_hooks::pause_in_update("slot-record");
  record.admitted_ms = wall_ms();
  record.agent_explicit = run.agent.explicit_id ? 1 : 0;
  set_text(record.agent, run.agent.id);
  set_text(record.cwd, run.cwd);
  set_text(record.command, run.command);
  record.estimate_bytes = run.estimate_bytes;
  seal(record);
}

// The turn of a run of `agent` arriving now (turn_order.h), from the records: holders' slot
// records (the pass has cleared those of holders gone) and the other waiters'.
std::uint32_t turn_now(const Table& t, const std::string& agent, int mine) {
  std::vector<std::string> running;
  std::vector<std::string> waiting;
  for (const SlotRecord& slot : t.slots) {
    if (slot.state == RecordState::used) running.emplace_back(get_text(slot.agent));
  }
  for (int i = 0; i < k_max_waiters; ++i) {
    if (i != mine && t.waiters[i].state == RecordState::used) {
      waiting.emplace_back(get_text(t.waiters[i].agent));
    }
  }
  return arrival_turn(agent, running, waiting);
}

template <typename Record>
void clear(Record& record) {
  std::memset(static_cast<void*>(&record), 0, sizeof record);
}

void add_metadata(Holder& holder, const SlotRecord& record) {
  holder.has_record = true;
  holder.start_time = record.start_time;
  holder.agent = get_text(record.agent);
  holder.agent_explicit = record.agent_explicit == 1;
  holder.admitted_ms = record.admitted_ms;
  holder.cwd = get_text(record.cwd);
  holder.command = get_text(record.command);
  holder.estimate_bytes = record.estimate_bytes;
}

}  // namespace

Standing standing_in(const WaiterRecord& record) {
  return Standing{
      static_cast<Priority>(record.level), record.since_ms, record.age_bound_ms, record.ticket,
      std::string(get_text(record.agent)), record.turn};
}

std::uint64_t wall_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

std::vector<Holder> judge_holders(const Table& table, const LockFile& locks) {
  std::vector<Holder> holders = locks.holders(k_max_slots);
  for (Holder& holder : holders) {
    const SlotRecord& record = table.slots[holder.slot];
    if (record.state == RecordState::used && record.pid == holder.pid) add_metadata(holder, record);
  }
  const std::size_t seen = holders.size();
  for (int i = 0; i < k_max_slots; ++i) {
    const SlotRecord& record = table.slots[i];
    if (record.state != RecordState::used || is_held(holders, i, record.pid)) continue;
    if (!is_alive_as(record.pid, record.start_time)) continue;
    Holder holder;
    holder.slot = i;
    holder.pid = record.pid;
    holder.lock_seen = false;
    add_metadata(holder, record);
    holders.push_back(std::move(holder));
  }
  if (holders.size() > seen) {
    std::sort(holders.begin(), holders.end(),
              [](const Holder& a, const Holder& b) { return a.slot < b.slot; });
  }
  return holders;
}

Result<QueueStore> QueueStore::attach(const std::string& path, const std::string& log_level,
                                      std::optional<gid_t> group) {
  VQ_TRY_ASSIGN(dir, QueueDir::open(path, group));
  VQ_TRY_ASSIGN(locks, LockFile::open(*dir));
  VQ_TRY_ASSIGN(table, SlotTable::open(*dir));
  EventLog log = open_event_log(*dir, log_level);
  return QueueStore(std::move(*dir), std::move(*locks), std::move(*table), std::move(log),
                    log_level);
}

Result<QueueStore> QueueStore::open_for_launch(const std::string& path, int seed_limit,
                                               const std::string& log_level,
                                               std::optional<gid_t> group) {
  VQ_TRY_ASSIGN(attached, attach(path, log_level, group));
  QueueStore store = std::move(*attached);
  store.m_seed_limit = seed_limit;
  store.freshen();
  return store;
}

Result<QueueStore> QueueStore::open(const std::string& path, int seed_limit,
                                    const std::string& log_level, std::optional<gid_t> group) {
  VQ_TRY_ASSIGN(attached, attach(path, log_level, group));
  QueueStore store = std::move(*attached);
  store.m_seed_limit = seed_limit;
  store.freshen();
  auto pass = store.update(k_open_wait);
  if (!pass && !is_lock_timeout(pass.error())) return pass.error();
  if (pass) VQ_TRY(pass->ensure_header("-"));
  return store;
}

Result<QueueStore::Pass> QueueStore::update(std::chrono::milliseconds wait) {
  VQ_TRY_ASSIGN(guard, m_locks.lock_update(wait));
  return Pass(*this, std::move(*guard));
}

void QueueStore::freshen() const {
  struct stat lock {};
  if (::fstat(m_locks.fd(), &lock) != 0 || lock.st_mtime + k_freshen_after_s > ::time(nullptr)) {
    return;
  }
  for (const char* name : {k_lock_file, k_table_file, k_wake_file}) m_dir.touch(name);
  m_dir.touch(nullptr);
}

bool QueueStore::in_place() const {
  return m_dir.holds(k_lock_file, m_locks.fd());
}

Result<std::vector<Holder>> QueueStore::reopen(const std::string& agent_for_log) {
  // Read without the old update lock: it no longer excludes anyone that opened the new files.
  std::vector<Holder> carried = judge_holders(m_table.table(), m_locks);
  // Who they are now, while they hold: adopted later, a pid could meanwhile name another process.
  for (Holder& holder : carried) {
    if (holder.start_time != 0) continue;
    if (auto identity = identify(holder.pid)) holder.start_time = identity->start_time;
  }
  VQ_TRY_ASSIGN(fresh, attach(m_dir.path(), m_log_level, m_dir.group()));
  const int seed = m_seed_limit;
  *this = std::move(*fresh);  // closes the old lock file, dropping this process's locks on it
  m_seed_limit = seed;
  QueueEvent event{EventType::queue_replaced, agent_for_log};
  event.detail = "the lock file or directory at " + m_dir.path() +
                 " was removed or replaced; rejoined, carrying " + std::to_string(carried.size()) +
                 " holders";
  record(event);
  return carried;
}

Status QueueStore::hand_over_to_exec() {
  VQ_TRY(m_locks.keep_across_exec());
  (void)m_locks.release();
  return ok_status();
}

Status QueueStore::Pass::ensure_header(const std::string& agent_for_log) {
  VQ_TRY(m_store.m_table.recover(m_store.m_dir));
  Table& t = table();
  // A waiter of an older vq refuses today's layout on its next pass and runs unqueued (it fails
  // open), so the table keeps its old layout until the old waiters have been admitted or have
  // left; this launch waits meanwhile (a busy result keeps it waiting, as a busy lock does).
  if (check_header(t.header) == HeaderCheck::older_version && m_store.m_locks.any_waiter_marked()) {
    return Error::of_kind(ErrorKind::lock_busy,
                          "the slot table " + m_store.m_dir.file(k_table_file) +
                              " has an older vq's layout and that vq's runs are still waiting; "
                              "it is upgraded once they have been admitted or have left");
  }
  const int seed = m_store.m_seed_limit;
  TableRepair repair = repair_table(t, seed, wall_ms());
  if (repair.refused) {
    return Error::of_kind(ErrorKind::damaged_table,
                          "slot table " + m_store.m_dir.file(k_table_file) +
                              " has layout version " + std::to_string(t.header.version) +
                              ", newer than this vq reads (" + std::to_string(k_table_version) +
                              "); use the newer vq, or remove the file");
  }
  if (repair.found == HeaderCheck::blank) {
    QueueEvent event{EventType::created, agent_for_log};
    event.limit = seed;
    m_store.record(event);
    // A new table under live runs: the directory was removed while they held slots.
    adopt(holders_of_removed_lock_file(canonical_path(m_store.m_dir.path()) + "/" + k_lock_file,
                                       k_max_slots),
          agent_for_log);
  } else if (repair.upgraded) {
    QueueEvent event{EventType::repaired, agent_for_log};
    event.detail = "table had the previous layout; upgraded in place, its limit, pause and "
                   "records kept";
    m_store.record(event);
  } else if (repair.found != HeaderCheck::valid) {
    QueueEvent event{EventType::repaired, agent_for_log};
    event.detail = "table was " + std::string(describe(repair.found)) +
                   "; reinitialised with limit=" + std::to_string(seed);
    m_store.record(event);
  }
  if (repair.cleared_records > 0) {
    QueueEvent event{EventType::repaired, agent_for_log};
    event.detail = "cleared " + std::to_string(repair.cleared_records) + " torn records";
    m_store.record(event);
  }
  return ok_status();
}

std::vector<Holder> QueueStore::Pass::scan_holders(const std::string& agent_for_log) {
  Table& t = table();
  std::vector<Holder> holders = judge_holders(t, m_store.m_locks);
  for (int i = 0; i < k_max_slots; ++i) {
    SlotRecord& record = t.slots[i];
    if (record.state != RecordState::used || is_held(holders, i, record.pid)) continue;
    QueueEvent event{EventType::released_by_exit, std::string(get_text(record.agent))};
    event.holder = record.pid;
    event.slot = i;
    event.held_s = held_seconds(record.admitted_ms);
    event.seen_by = agent_for_log;
    m_store.record(event);
    clear(record);
  }
  return holders;
}

WaiterState QueueStore::Pass::waiter_state(int index, const std::string& agent_for_log) {
  WaiterRecord& record = table().waiters[index];
  auto marker = m_store.m_locks.waiter_mark_holder(index);
  if (!marker || *marker != record.pid) {
    QueueEvent event{EventType::dropped_dead_waiter, std::string(get_text(record.agent))};
    event.waiter = record.pid;
    event.ticket = record.ticket;
    event.seen_by = agent_for_log;
    m_store.record(event);
    clear(record);
    return WaiterState::dead;
  }
  auto stat = read_proc_stat(record.pid);
  if (stat && is_stopped(*stat)) return WaiterState::stopped;
  return WaiterState::running;
}

Line QueueStore::Pass::line_around(const Standing& me, int mine, std::uint64_t now_ms) const {
  const Table& t = table();
  std::vector<int> records;
  std::vector<Standing> standings;
  for (int i = 0; i < k_max_waiters; ++i) {
    const WaiterRecord& waiter = t.waiters[i];
    if (i == mine || waiter.state != RecordState::used) continue;
    records.push_back(i);
    standings.push_back(standing_in(waiter));
  }
  standings.push_back(me);
  Line line;
  bool before = true;
  for (const Placement& placed : line_order(standings, now_ms)) {
    if (placed.index == records.size()) {
      line.mine = placed;
      before = false;
      continue;
    }
    const WaiterRecord& w = t.waiters[records[placed.index]];
    WaiterEntry entry{records[placed.index],
                      ProcessIdentity{w.pid, w.start_time},
                      w.ticket,
                      Claimant{std::string(get_text(w.agent)), w.agent_explicit == 1},
                      standings[placed.index],
                      placed,
                      w.estimate_bytes};
    (before ? line.ahead : line.behind).push_back(std::move(entry));
  }
  return line;
}

Standing QueueStore::Pass::standing(int index) const {
  return standing_in(table().waiters[index]);
}

void QueueStore::Pass::set_level(int index, Priority level) {
  WaiterRecord& record = table().waiters[index];
  record.level = static_cast<std::uint32_t>(level);
  seal(record);
}

int QueueStore::Pass::waiter_of(pid_t pid) const {
  const Table& t = table();
  for (int i = 0; i < k_max_waiters; ++i) {
    if (t.waiters[i].state == RecordState::used && t.waiters[i].pid == pid) return i;
  }
  return -1;
}

int QueueStore::Pass::used_waiter_records() const {
  const Table& t = table();
  return static_cast<int>(
      std::count_if(std::begin(t.waiters), std::end(t.waiters),
                    [](const WaiterRecord& w) { return w.state == RecordState::used; }));
}

bool QueueStore::Pass::nobody_waits() const {
  return used_waiter_records() == 0 && !m_store.m_locks.any_waiter_marked();
}

int QueueStore::Pass::take_place(const RunInfo& run, std::uint64_t ticket, std::uint64_t since_ms,
                                 int old_index, std::optional<KeptPlace> kept) {
  Table& t = table();
  LockFile& locks = m_store.m_locks;
  if (old_index >= 0) locks.unmark_waiter(old_index);
  // An unmarked record is free to reuse, whatever it says.
  int index = -1;
  for (int i = 0; i < k_max_waiters && index < 0; ++i) {
    if (t.waiters[i].state == RecordState::used && locks.waiter_mark_holder(i)) continue;
    if (locks.try_mark_waiter(i)) index = i;
  }
  if (index < 0) return -1;
  write_waiter(t.waiters[index], run, ticket, since_ms,
               kept.value_or(KeptPlace{run.priority, turn_now(t, run.agent.id, index)}));
  // After a table rebuild the counter restarts; tickets handed out later must still come after
  // ours, or newcomers would pass the waiters already queued.
  if (ticket >= t.header.next_ticket) t.header.next_ticket = ticket + 1;
  return index;
}

bool QueueStore::Pass::holds_place(int index, const RunInfo& run, std::uint64_t ticket) const {
  if (index < 0) return false;
  const WaiterRecord& record = table().waiters[index];
  return record.state == RecordState::used && record.pid == run.self.pid &&
         record.start_time == run.self.start_time && record.ticket == ticket;
}

void QueueStore::Pass::leave_place(int index) {
  if (index < 0) return;
  clear(table().waiters[index]);
  m_store.m_locks.unmark_waiter(index);
}

void QueueStore::Pass::note_blocked(int index, const WaitReason& reason) {
  if (index < 0) return;
  WaiterRecord& record = table().waiters[index];
  record.blocked = static_cast<std::uint32_t>(reason.block);
  record.pressure_permille =
      static_cast<std::uint32_t>(std::clamp(reason.pressure_percent * 10, 0.0, 1000.0));
  record.room_available = reason.available;
  record.room_growing = reason.growing;
  record.room_reserve = reason.reserve;
  record.room_need = reason.need;
  seal(record);
}

void QueueStore::Pass::set_estimate(int index, std::uint64_t estimate_bytes) {
  if (index < 0) return;
  WaiterRecord& record = table().waiters[index];
  record.estimate_bytes = estimate_bytes;
  seal(record);
}

void QueueStore::Pass::adopt(const std::vector<Holder>& holders, const std::string& agent_for_log) {
  Table& t = table();
  std::vector<Holder> locked = m_store.m_locks.holders(k_max_slots);
  auto free_at = [&](int i) { return is_empty(t.slots[i]) && !is_busy(locked, i); };
  int adopted = 0;
  for (const Holder& holder : holders) {
    std::optional<ProcessIdentity> identity;
    if (holder.start_time != 0) {
      if (is_alive_as(holder.pid, holder.start_time)) {
        identity = ProcessIdentity{holder.pid, holder.start_time};
      }
    } else {
      identity = identify(holder.pid);
    }
    if (!identity) continue;
    bool known = std::any_of(std::begin(t.slots), std::end(t.slots), [&](const SlotRecord& r) {
      return r.state == RecordState::used && r.pid == identity->pid &&
             r.start_time == identity->start_time;
    });
    if (known) continue;
    int index =
        holder.slot >= 0 && holder.slot < k_max_slots && free_at(holder.slot) ? holder.slot : -1;
    for (int i = 0; i < k_max_slots && index < 0; ++i) {
      if (free_at(i)) index = i;
    }
    if (index < 0) break;
    SlotRecord& record = t.slots[index];
    record.state = RecordState::used;
    record.pid = identity->pid;
    record.start_time = identity->start_time;
    record.admitted_ms = holder.admitted_ms != 0 ? holder.admitted_ms : wall_ms();
    record.agent_explicit = holder.agent_explicit ? 1 : 0;
    set_text(record.agent, holder.has_record ? holder.agent : "-");
    set_text(record.cwd, holder.cwd);
    set_text(record.command, holder.command);
    record.estimate_bytes = holder.estimate_bytes;
    seal(record);
    ++adopted;
  }
  if (adopted > 0) {
    QueueEvent event{EventType::queue_replaced, agent_for_log};
    event.detail = "counting " + std::to_string(adopted) +
                   " live holders of a removed or replaced lock file until they exit";
    m_store.record(event);
  }
}

bool QueueStore::Pass::claim_slot(int slot, const RunInfo& run) {
  if (!m_store.m_locks.try_take_slot(slot)) return false;
  write_slot(table().slots[slot], run);
  return true;
}

}  // namespace vq
