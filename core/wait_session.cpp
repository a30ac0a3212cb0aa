#include "wait_session.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

namespace vq {
namespace {

// A waiter learns of a limit change or a resume from the wake FIFO (wake_signal.h); this tick
// is the fallback, and covers waiters ahead that it does not watch.
constexpr int k_rescan_ms = 500;
// How long one pass waits for the update lock before it sleeps and tries again.
constexpr std::chrono::milliseconds k_update_wait_per_pass{250};

int pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

std::vector<Claimant> claimants_of(const std::vector<Holder>& holders) {
  std::vector<Claimant> claimants;
  for (const Holder& holder : holders) {
    claimants.push_back(Claimant{holder.agent, holder.has_record && holder.agent_explicit});
  }
  return claimants;
}

std::vector<Claimant> claimants_of(const std::vector<WaiterEntry>& waiters) {
  std::vector<Claimant> claimants;
  for (const WaiterEntry& waiter : waiters) claimants.push_back(waiter.claimant);
  return claimants;
}

std::string holder_list(const std::vector<Holder>& holders) {
  std::string list;
  for (const Holder& holder : holders)
    list += " " + std::to_string(holder.pid) + "/" + holder.agent;
  return list;
}

}  // namespace

Result<Acquired> acquire(QueueStore& store, const RunInfo& run, const AcquireOptions& options,
                         WaitObserver& observer) {
  return WaitSession(store, run, options, observer).run();
}

WaitSession::WaitSession(QueueStore& store, const RunInfo& run, const AcquireOptions& options,
                         WaitObserver& observer)
    : m_store(store),
      m_run(run),
      m_options(options),
      m_observer(observer),
      m_started(std::chrono::steady_clock::now()),
      m_since_ms(wall_ms()),
      m_level(run.priority) {}

Result<Acquired> WaitSession::run() {
  for (;;) {
    VQ_TRY_ASSIGN(outcome, pass());
    // With the update lock released, so those woken can rescan at once.
    for (int index : outcome->to_poke) wake_waiter(m_store.dir(), index);
    if (outcome->slot >= 0) return admitted(outcome->slot);
    report_waiting();
    Sleep slept = sleep(outcome->watched);
    if (slept.signal) {
      leave();
      QueueEvent event{EventType::interrupted, m_run.agent.id};
      event.signal = *slept.signal;
      event.ticket = m_ticket;
      m_store.record(event);
      Acquired result = ended(Acquired::Outcome::interrupted);
      result.signal = *slept.signal;
      return result;
    }
    if (timed_out()) {
      leave();
      QueueEvent event{EventType::timed_out, m_run.agent.id};
      event.ticket = m_ticket;
      event.waited_ms = static_cast<std::uint64_t>(waited_s() * 1000);
      event.holders = holder_list(m_snapshot.holders);
      m_store.record(event);
      return ended(Acquired::Outcome::timed_out);
    }
  }
}

Result<WaitSession::PassOutcome> WaitSession::pass() {
  // A short wait per pass: if the lock is stuck, the pass ends and signals and the timeout are
  // still noticed by the sleep that follows.
  {
    auto locked = m_store.update(k_update_wait_per_pass);
    // Checked under the lock, so nothing is claimed on files newcomers no longer see. Once not
    // in place, files never are again: without the lock (a stopped process holds it on the
    // removed files) the answer is acted on all the same.
    if (m_store.in_place()) return locked ? locked_pass(*locked) : lock_not_had(locked.error());
  }
  rejoin();
  auto locked = m_store.update(k_update_wait_per_pass);
  if (!locked) return lock_not_had(locked.error());
  return locked_pass(*locked);
}

Result<WaitSession::PassOutcome> WaitSession::locked_pass(QueueStore::Pass& pass) {
  m_snapshot.note.clear();
  auto outcome = pass_locked(pass);
  // Busy inside the pass (an older vq's waiters keep the table's old layout): keep waiting.
  if (!outcome && is_lock_timeout(outcome.error())) return lock_not_had(outcome.error());
  if (!outcome && m_index >= 0) {
    // With the update lock held: dropping the mark is enough, the record then reads as gone.
    m_store.unmark_waiter(m_index);
    m_index = -1;
  }
  return outcome;
}

Result<WaitSession::PassOutcome> WaitSession::lock_not_had(const Error& error) {
  if (!is_lock_timeout(error)) {
    if (m_index >= 0) m_store.unmark_waiter(m_index);
    m_index = -1;
    return error;
  }
  // Someone is stopped inside an update, or very many take turns. Keep our place and keep
  // waiting; the timeout and signals still end the wait.
  const bool stuck = error.kind == ErrorKind::lock_stuck;
  bool& told = stuck ? m_warned_stuck : m_noted_busy;
  if (!told) {
    QueueEvent event{stuck ? EventType::update_lock_stuck : EventType::update_lock_busy,
                     m_run.agent.id};
    event.detail = error.message;
    m_store.record(event);
    told = true;
  }
  m_snapshot.note = error.message;
  return PassOutcome{};
}

Result<WaitSession::PassOutcome> WaitSession::pass_locked(QueueStore::Pass& pass) {
  const std::string& agent = m_run.agent.id;
  VQ_TRY(pass.ensure_header(agent));
  if (!m_carried.empty()) {
    pass.adopt(m_carried, agent);
    m_carried.clear();
  }
  std::vector<Holder> holders = pass.scan_holders(agent);

  // A launch that finds nobody waiting and a slot free is admitted without a waiter record or
  // FIFOs; only a launch that has to wait takes a place in the table. (With records present, it
  // takes its place first: a dead waiter's record it reuses must not be judged as a waiter ahead
  // of it.)
  const bool first_pass = m_ticket == 0;
  if (first_pass) m_ticket = pass.take_ticket();
  const bool nobody_waits = first_pass && pass.nobody_waits();
  // Our record was cleared under us (a repair), or we must wait: take a place with the same
  // ticket, so our turn is not lost.
  if (!nobody_waits && !pass.holds_place(m_index, m_run, m_ticket)) take_place(pass);

  const Line line = pass.line_around(my_standing(pass), m_index, wall_ms());
  const std::vector<WaiterEntry>& ahead = line.ahead;
  QueueScene scene{claimants_of(holders), claimants_of(ahead),
                   Claimant{m_run.agent.id, m_run.agent.explicit_id},
                   AdmissionRules{pass.limit(), m_options.per_agent, pass.paused()}};
  // Asked once per record and pass: waiter_state clears (and logs) a gone waiter's record.
  std::vector<std::optional<WaiterState>> states(ahead.size());
  StateOf state_of = [&](std::size_t i) {
    if (!states[i]) states[i] = pass.waiter_state(ahead[i].index, agent);
    return *states[i];
  };
  TurnWalk walk;
  if ((m_index >= 0 || nobody_waits) && !m_stranded) walk = walk_turns(scene, state_of);
  // Room is judged only by a waiter whose turn it is, on its own passes (its tick, a holder's
  // exit): memory freed without an exit wakes nobody else.
  if (walk.mine && m_options.room != nullptr) refresh_estimate(pass);
  std::optional<RoomVerdict> room = walk.mine ? judge_room(holders, ahead, walk) : std::nullopt;
  PassOutcome outcome;
  if (walk.mine && (!room || room->admit) && try_admit(pass, holders, line.behind, outcome)) {
    return outcome;
  }
  // Not admitted: a slot below the limit is held by a process the count missed (a lowered
  // limit), no room, or it is not our turn.
  if (nobody_waits) take_place(pass);
  if (!m_wake) m_wake.emplace(m_store.dir());
  note_waiting(pass, holders, line);
  m_snapshot.reason = reason_for(scene, walk, room ? &*room : nullptr,
                                 m_options.room ? m_options.room->pressure_percent() : 0);
  pass.note_blocked(m_index, m_snapshot.reason);
  plan_sleep(scene, state_of, line, walk, outcome);
  return outcome;
}

Standing WaitSession::my_standing(const QueueStore::Pass& pass) {
  if (pass.holds_place(m_index, m_run, m_ticket)) {
    Standing mine = pass.standing(m_index);
    m_level = mine.level;
    m_fair_turn = mine.turn;
    return mine;
  }
  // Without a record (admitted at once, or not yet placed): the turn a place would get now.
  Standing me{m_level, m_since_ms, m_run.age_bound_ms, m_ticket, m_run.agent.id, 0};
  if (m_fair_turn) me.turn = *m_fair_turn;
  return me;
}

// Our record, mark and FIFOs are in files newcomers no longer see: move to the queue now at the
// path, where the next pass takes a place with our ticket (so our turn is kept) and adopts the
// holders seen on the old files. If the path cannot be opened, keep waiting on the old files.
void WaitSession::rejoin() {
  auto carried = m_store.reopen(m_run.agent.id);
  // Stranded on files newcomers no longer see: keep our place there, but take no slot on them.
  m_stranded = !carried;
  if (!carried) {
    if (!m_warned_reopen) {
      QueueEvent event{EventType::queue_replaced, m_run.agent.id};
      event.detail = "cannot open the queue at its path again (" + carried.error().message +
                     "); waiting on the files already open";
      m_store.record(event);
      m_warned_reopen = true;
    }
    return;
  }
  m_warned_reopen = false;
  m_wake.reset();
  m_turn.reset();
  m_index = -1;
  m_carried.insert(m_carried.end(), carried->begin(), carried->end());
}

void WaitSession::take_place(QueueStore::Pass& pass) {
  std::optional<QueueStore::Pass::KeptPlace> kept;
  if (m_fair_turn) kept = QueueStore::Pass::KeptPlace{m_level, *m_fair_turn};
  m_index = pass.take_place(m_run, m_ticket, m_since_ms, m_index, kept);
  if (m_index >= 0 && !m_fair_turn) m_fair_turn = pass.standing(m_index).turn;
  if (m_index >= 0) {
    // Opened before this pass ends, so a poke after it is seen.
    m_turn.emplace(m_store.dir(), turn_fifo_name(m_index));
  } else if (!m_warned_full) {
    QueueEvent event{EventType::queue_full, m_run.agent.id};
    event.detail = "no free waiter record; retrying";
    m_store.record(event);
    m_warned_full = true;
  }
}

bool WaitSession::try_admit(QueueStore::Pass& pass, const std::vector<Holder>& holders,
                            const std::vector<WaiterEntry>& behind, PassOutcome& outcome) {
  // Only bytes below the limit: with the limit unchanged, even a wrong holder count could not
  // admit more than `limit`. (Holders above a lowered limit are counted.)
  for (int slot = 0; slot < pass.limit(); ++slot) {
    if (is_busy(holders, slot) || !pass.claim_slot(slot, m_run)) continue;
    // Being admitted may have made the waiters behind us next.
    auto next = successors_to_wake(behind.size(), [&](std::size_t i) {
      return pass.waiter_state(behind[i].index, m_run.agent.id);
    });
    for (std::size_t i : next) outcome.to_poke.push_back(behind[i].index);
    pass.leave_place(m_index);
    m_index = -1;
    outcome.slot = slot;
    return true;
  }
  return false;
}

// A run launched before its project's estimate was learned (or while it was being refreshed)
// takes the new figure, in its record too, so the waiters behind it and status see it.
void WaitSession::refresh_estimate(QueueStore::Pass& pass) {
  if (!m_options.learned_estimate) return;
  std::optional<std::uint64_t> learned = m_options.learned_estimate();
  if (!learned || *learned == 0 || *learned == m_run.estimate_bytes) return;
  m_run.estimate_bytes = *learned;
  pass.set_estimate(m_index, *learned);
}

std::optional<RoomVerdict> WaitSession::judge_room(const std::vector<Holder>& holders,
                                                   const std::vector<WaiterEntry>& ahead,
                                                   const TurnWalk& walk) {
  if (m_options.room == nullptr) return std::nullopt;
  // The waiters ahead that take free slots first must fit first: a smaller run behind the head
  // must not start where the head does not fit.
  std::uint64_t need = m_run.estimate_bytes;
  for (std::size_t i : walk.served) need += ahead[i].estimate_bytes;
  return m_options.room->judge(holders, need);
}

void WaitSession::note_waiting(const QueueStore::Pass& pass, const std::vector<Holder>& holders,
                               const Line& line) {
  m_snapshot.limit = pass.limit();
  m_snapshot.paused = pass.paused();
  m_snapshot.holders = holders;
  m_snapshot.position = static_cast<int>(line.ahead.size()) + 1;
  m_snapshot.level = m_level;
  m_snapshot.effective = line.mine.effective;
  m_snapshot.age_bonus = static_cast<int>(line.mine.effective) - static_cast<int>(m_level);
  m_snapshot.waiting = pass.used_waiter_records() + (m_index < 0 ? 1 : 0);
  m_snapshot.waited_s = waited_s();
}

void WaitSession::plan_sleep(const QueueScene& scene, const StateOf& state_of, const Line& line,
                             const TurnWalk& walk, PassOutcome& outcome) {
  const std::vector<WaiterEntry>& ahead = line.ahead;
  // Free slots that waiters ahead of us take: they may be asleep without watching the holders
  // (a waiter resumed after Ctrl-Z), so tell them.
  for (std::size_t i : walk.served) outcome.to_poke.push_back(ahead[i].index);
  const bool pokeable = m_index >= 0 && m_turn && m_turn->fd() >= 0;
  WaitPlan plan = plan_wait(scene, pokeable, state_of);
  if (plan.watch_holders && !m_watching_holders) {
    // We may have gone ahead of the waiters that watched the holders (a higher level, an age
    // bonus, vq-admin): tell them, so they watch us instead and an exit still wakes one waiter.
    const int holders = static_cast<int>(scene.holding.size());
    const auto free = static_cast<std::size_t>(std::max(scene.rules.limit - holders, 0));
    const std::size_t passed = std::min(line.behind.size(), free + 1);
    for (std::size_t i = 0; i < passed; ++i) outcome.to_poke.push_back(line.behind[i].index);
  }
  m_watching_holders = plan.watch_holders;
  if (plan.watch_holders) {
    for (const Holder& holder : m_snapshot.holders) {
      if (auto identity = identify(holder.pid)) outcome.watched.push_back(*identity);
    }
  }
  for (std::size_t i : plan.watch_ahead) outcome.watched.push_back(ahead[i].process);
}

Acquired WaitSession::admitted(int slot) {
  // Reported only now, with the update lock released: a blocked stderr (a full pipe, a terminal
  // paused with Ctrl-S) must not freeze the queue for everyone.
  double waited = waited_s();
  QueueEvent event{EventType::admitted, m_run.agent.id};
  event.slot = slot;
  event.ticket = m_ticket;
  event.waited_ms = static_cast<std::uint64_t>(waited * 1000);
  event.cwd = m_run.cwd;
  m_store.record(event);
  if (m_announced) m_observer.on_admitted(waited);
  Acquired result;
  result.slot = slot;
  result.waited_s = waited;
  result.estimate_bytes = m_run.estimate_bytes;
  return result;
}

void WaitSession::report_waiting() {
  if (m_announced) {
    m_snapshot.waited_s = waited_s();
    m_observer.on_progress(m_snapshot);
    return;
  }
  QueueEvent event{EventType::queued, m_run.agent.id};
  event.ticket = m_ticket;
  event.position = m_snapshot.position;
  event.busy = static_cast<int>(m_snapshot.holders.size());
  event.limit = m_snapshot.limit;
  m_store.record(event);
  m_observer.on_wait_start(m_snapshot);
  m_announced = true;
}

// Sleeps until a holder or a waiter ahead exits (pidfd), a FIFO is poked, a signal arrives, the
// timeout passes or the tick.
WaitSession::Sleep WaitSession::sleep(const std::vector<ProcessIdentity>& watched) {
  std::vector<pollfd> fds;
  if (m_options.signal_fd >= 0) fds.push_back(pollfd{m_options.signal_fd, POLLIN, 0});
  // Out of pokes: the FIFOs are left unpolled until one is due (they stay readable meanwhile).
  const bool pokes_left = m_pokes.take_ready();
  const std::size_t wake_index = fds.size();
  const bool wake_polled = pokes_left && m_wake && m_wake->fd() >= 0;
  if (wake_polled) fds.push_back(pollfd{m_wake->fd(), POLLIN, 0});
  const std::size_t turn_index = fds.size();
  const bool turn_polled = pokes_left && m_turn && m_turn->fd() >= 0;
  if (turn_polled) fds.push_back(pollfd{m_turn->fd(), POLLIN, 0});
  const std::size_t first_pidfd = fds.size();
  bool changed = false;
  for (const ProcessIdentity& process : watched) {
    int fd = pidfd_open(process.pid);
    if (fd < 0) {
      if (errno == ESRCH) changed = true;  // already gone; other errors: rely on the tick
      continue;
    }
    fds.push_back(pollfd{fd, POLLIN, 0});
  }
  int wait_ms = sleep_ms(changed);
  if (!pokes_left) wait_ms = std::min(wait_ms, m_pokes.ms_until_next());
  ::poll(fds.data(), fds.size(), wait_ms);
  Sleep slept;
  if (m_options.signal_fd >= 0 && (fds[0].revents & POLLIN) != 0) {
    signalfd_siginfo info{};
    slept.signal = SIGINT;
    if (::read(m_options.signal_fd, &info, sizeof info) == sizeof info) {
      slept.signal = static_cast<int>(info.ssi_signo);
    }
  }
  const bool poked = (wake_polled && fds[wake_index].revents != 0) ||
                     (turn_polled && fds[turn_index].revents != 0);
  if (wake_polled && fds[wake_index].revents != 0) m_wake->rearm();
  if (turn_polled && fds[turn_index].revents != 0) m_turn->rearm();
  if (poked) m_pokes.spend();
  for (std::size_t i = first_pidfd; i < fds.size(); ++i) ::close(fds[i].fd);
  return slept;
}

int WaitSession::sleep_ms(bool changed) {
  // Something changed under us: rescan at once, but never spin if it keeps "changing".
  int wait_ms = !changed ? k_rescan_ms : (m_quick_rescans++ < 3 ? 0 : 10);
  if (!changed) m_quick_rescans = 0;
  if (m_options.timeout_s > 0) {
    double left_ms = (m_options.timeout_s - waited_s()) * 1000;
    wait_ms = std::clamp(static_cast<int>(left_ms), 0, wait_ms);
  }
  return wait_ms;
}

bool WaitSession::timed_out() const {
  return m_options.timeout_s > 0 && waited_s() >= m_options.timeout_s;
}

// Gives up our place: dropping the mark is what counts (others then see the record as gone);
// clearing the record is tidiness, done only if the update lock comes quickly.
void WaitSession::leave() {
  if (m_index < 0) return;
  m_store.unmark_waiter(m_index);
  if (auto pass = m_store.update(std::chrono::milliseconds(100))) {
    if (pass->holds_place(m_index, m_run, m_ticket)) pass->leave_place(m_index);
  }
  m_index = -1;
}

Acquired WaitSession::ended(Acquired::Outcome outcome) const {
  Acquired result;
  result.outcome = outcome;
  result.waited_s = waited_s();
  result.estimate_bytes = m_run.estimate_bytes;
  result.last = m_snapshot;
  return result;
}

double WaitSession::waited_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started).count();
}

}  // namespace vq
