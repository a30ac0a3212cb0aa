#include "queue.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>

#include "admission_plan.h"
#include "test_hooks.h"
#include "wake_signal.h"

namespace vq {
namespace {

// A waiter learns of a limit change or a resume from the wake FIFO (wake_signal.h); this tick
// is the fallback, and covers waiters ahead that it does not watch.
constexpr int k_rescan_ms = 500;
// How long one pass waits for the update lock before it sleeps and tries again.
constexpr std::chrono::milliseconds k_update_wait_per_pass{250};
// A waiter watches at most this many waiters ahead of it; the rescan tick covers the rest.
constexpr std::size_t k_max_watched_waiters = 16;

int pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string held_for(std::uint64_t since_ms) {
  std::uint64_t now = wall_ms();
  return std::to_string(now > since_ms ? (now - since_ms) / 1000 : 0) + "s";
}

bool is_mine(const WaiterRecord& record, const RunInfo& run, std::uint64_t ticket) {
  return record.state == RecordState::used && record.pid == run.self.pid &&
         record.start_time == run.self.start_time && record.ticket == ticket;
}

void write_waiter(WaiterRecord& record, const RunInfo& run, std::uint64_t ticket,
                  std::uint64_t since_ms) {
  record.state = RecordState::used;
  record.pid = run.self.pid;
  record.start_time = run.self.start_time;
  test_hooks::pause_in_update("waiter-record");
  record.ticket = ticket;
  record.since_ms = since_ms;
  record.agent_explicit = run.agent.explicit_id ? 1 : 0;
  set_text(record.agent, run.agent.id);
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
  seal(record);
}

template <typename Record>
void clear(Record& record) {
  std::memset(static_cast<void*>(&record), 0, sizeof record);
}

}  // namespace

std::uint64_t wall_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

Result<Queue> Queue::attach(const std::string& path, const std::string& log_level,
                            std::optional<gid_t> group) {
  auto dir = QueueDir::open(path, group);
  if (!dir) return dir.error();
  auto locks = LockFile::open(*dir);
  if (!locks) return locks.error();
  auto table = SlotTable::open(*dir);
  if (!table) return table.error();
  EventLog log = open_event_log(*dir, log_level);
  return Queue(std::move(*dir), std::move(*locks), std::move(*table), std::move(log),
               k_default_limit);
}

Result<Queue> Queue::open(const std::string& path, int seed_limit, const std::string& log_level,
                          std::optional<gid_t> group) {
  auto attached = attach(path, log_level, group);
  if (!attached) return attached.error();
  Queue queue = std::move(*attached);
  queue.m_seed_limit = seed_limit;
  {
    // A stuck update lock is not fatal here: acquire() checks the header again and keeps
    // waiting for the lock.
    auto guard = queue.m_locks.lock_update(k_update_wait_per_pass);
    if (!guard && guard.error().errno_value != ETIMEDOUT) return guard.error();
    if (guard) {
      if (auto status = queue.ensure_header("-"); !status) return status.error();
    }
  }
  return queue;
}

Status Queue::ensure_header(const std::string& agent_for_log) {
  if (auto recovered = m_table.recover(m_dir); !recovered) return recovered.error();
  Table& t = m_table.table();
  TableRepair repair = repair_table(t, m_seed_limit, wall_ms());
  if (repair.refused) {
    return Error{"slot table " + m_dir.file(k_table_file) + " has layout version " +
                 std::to_string(t.header.version) + ", newer than this vq reads (" +
                 std::to_string(k_table_version) + "); use the newer vq, or remove the file"};
  }
  if (repair.found == HeaderCheck::blank) {
    m_log.info(agent_for_log, "created", "limit=" + std::to_string(m_seed_limit));
  } else if (repair.found != HeaderCheck::valid) {
    m_log.warn(agent_for_log, "repaired",
               "table was " + std::string(describe(repair.found)) +
                   "; reinitialised with limit=" + std::to_string(m_seed_limit));
  }
  if (repair.cleared_records > 0) {
    m_log.warn(agent_for_log, "repaired",
               "cleared " + std::to_string(repair.cleared_records) + " torn records");
  }
  return ok_status();
}

std::vector<HolderInfo> Queue::scan_holders(const std::string& agent_for_log) {
  Table& t = m_table.table();
  std::vector<SlotHolder> locked = m_locks.holders(k_max_slots);
  std::vector<HolderInfo> holders;
  for (const SlotHolder& holder : locked) {
    HolderInfo info;
    info.slot = holder.index;
    info.pid = holder.pid;
    const SlotRecord& record = t.slots[holder.index];
    if (record.state == RecordState::used && record.pid == holder.pid) {
      info.has_record = true;
      info.agent = get_text(record.agent);
      info.admitted_ms = record.admitted_ms;
      info.cwd = get_text(record.cwd);
      info.command = get_text(record.command);
    }
    holders.push_back(std::move(info));
  }
  for (int i = 0; i < k_max_slots; ++i) {
    SlotRecord& record = t.slots[i];
    if (record.state != RecordState::used) continue;
    bool held = std::any_of(locked.begin(), locked.end(), [&](const SlotHolder& h) {
      return h.index == i && h.pid == record.pid;
    });
    if (!held) {
      m_log.info(std::string(get_text(record.agent)), "released-by-exit",
                 "holder=" + std::to_string(record.pid) + " slot=" + std::to_string(i) +
                     " held=" + held_for(record.admitted_ms) + " seen_by=" + agent_for_log);
      clear(record);
    }
  }
  return holders;
}

WaiterState Queue::waiter_state(int index, const std::string& agent_for_log) {
  WaiterRecord& record = m_table.table().waiters[index];
  auto marker = m_locks.waiter_mark_holder(index);
  if (!marker || *marker != record.pid) {
    m_log.info(std::string(get_text(record.agent)), "dropped-dead-waiter",
               "waiter=" + std::to_string(record.pid) + " ticket=" + std::to_string(record.ticket) +
                   " seen_by=" + agent_for_log);
    clear(record);
    return WaiterState::dead;
  }
  auto stat = read_proc_stat(record.pid);
  if (stat && (stat->state == 'T' || stat->state == 't')) return WaiterState::stopped;
  return WaiterState::running;
}

Result<Acquired> Queue::acquire(const RunInfo& run, const AcquireOptions& options,
                                WaitObserver& observer) {
  const auto started = std::chrono::steady_clock::now();
  const std::uint64_t since_ms = wall_ms();
  const std::string& agent = run.agent.id;
  std::uint64_t ticket = 0;
  int my_index = -1;  // our waiter record, marked by our lock on its byte
  bool announced = false;
  bool warned_stuck = false;
  bool warned_full = false;
  int quick_rescans = 0;
  WaitSnapshot snapshot;
  // Opened under the update lock in the pass that finds we must wait, so a header change made
  // after any scan wakes us (vq-admin changes the header under that lock, then pokes). A launch
  // admitted at once never opens it.
  std::optional<WakeListener> wake;

  // Our own FIFO, poked by the waiter ahead of us when it is admitted (wake_signal.h).
  std::optional<WakeListener> turn;
  // Under the update lock, before our record is cleared: the waiters right behind us, up to and
  // including the first running one (stopped ones in between rescan as soon as they continue).
  // Being admitted may have made them next in line.
  auto successors_of = [&](std::uint64_t mine, int mine_index) {
    const Table& t = m_table.table();
    std::vector<int> behind;
    for (int i = 0; i < k_max_waiters; ++i) {
      if (i != mine_index && t.waiters[i].state == RecordState::used &&
          t.waiters[i].ticket > mine) {
        behind.push_back(i);
      }
    }
    std::sort(behind.begin(), behind.end(),
              [&](int a, int b) { return t.waiters[a].ticket < t.waiters[b].ticket; });
    std::vector<int> found;
    for (std::size_t n = 0; n < behind.size() && n < k_max_watched_waiters; ++n) {
      WaiterState state = waiter_state(behind[n], agent);
      if (state == WaiterState::dead) continue;
      found.push_back(behind[n]);
      if (state == WaiterState::running) break;
    }
    return found;
  };

  // Gives up our place: dropping the mark is what counts (others then see the record as gone);
  // clearing the record is tidiness, done only if the update lock comes quickly.
  auto leave = [&]() {
    if (my_index < 0) return;
    m_locks.unmark_waiter(my_index);
    auto guard = m_locks.lock_update(std::chrono::milliseconds(100));
    if (guard && is_mine(m_table.table().waiters[my_index], run, ticket)) {
      clear(m_table.table().waiters[my_index]);
    }
    my_index = -1;
  };
  // Called with the update lock held: dropping the mark is enough, the record then reads as gone.
  auto fail = [&](Error error) -> Result<Acquired> {
    if (my_index >= 0) m_locks.unmark_waiter(my_index);
    my_index = -1;
    return error;
  };
  auto ended = [&](Acquired::Outcome outcome) {
    Acquired result;
    result.outcome = outcome;
    result.waited_s = seconds_since(started);
    result.last = snapshot;
    return result;
  };

  for (;;) {
    std::vector<ProcessIdentity> watched;
    std::vector<int> successors;  // waiters to tell that we were admitted
    std::vector<int> to_wake;     // waiters ahead to tell that a slot is theirs
    int admitted_slot = -1;
    {
      // A short wait per pass: if the lock is stuck, the pass ends and signals and the timeout
      // are still noticed below.
      auto guard = m_locks.lock_update(k_update_wait_per_pass);
      if (!guard && guard.error().errno_value != ETIMEDOUT) return fail(guard.error());
      if (!guard) {
        // Someone is stopped inside an update. Keep our place and keep waiting; the timeout and
        // signals still end the wait.
        if (!warned_stuck) m_log.warn(agent, "update-lock-stuck", guard.error().message);
        warned_stuck = true;
        snapshot.note = guard.error().message;
      } else {
        snapshot.note.clear();
        if (auto status = ensure_header(agent); !status) return fail(status.error());
        std::vector<HolderInfo> holders = scan_holders(agent);
        Table& t = m_table.table();

        // A launch that finds nobody waiting and a slot free is admitted without a waiter
        // record or FIFOs; only a launch that has to wait takes a place in the table. (With
        // records present, it takes its place first: a dead waiter's record it reuses must not
        // be judged as a waiter ahead of it.) Nobody waits only if no record is used and no
        // waiter mark is held: a live waiter whose record a repair cleared must not be passed.
        const bool first_pass = ticket == 0;
        if (first_pass) ticket = t.header.next_ticket++;
        const bool nobody_waits =
            first_pass &&
            std::none_of(std::begin(t.waiters), std::end(t.waiters),
                         [](const WaiterRecord& w) { return w.state == RecordState::used; }) &&
            !m_locks.any_waiter_marked();
        auto take_place = [&]() {
          // Our record was cleared under us (a repair), or we must wait: take a place with the
          // same ticket, so our turn is not lost. An unmarked record is free to reuse.
          if (my_index >= 0) m_locks.unmark_waiter(my_index);
          my_index = -1;
          for (int i = 0; i < k_max_waiters && my_index < 0; ++i) {
            if (t.waiters[i].state == RecordState::used && m_locks.waiter_mark_holder(i)) continue;
            if (m_locks.try_mark_waiter(i)) my_index = i;
          }
          if (my_index >= 0) {
            write_waiter(t.waiters[my_index], run, ticket, since_ms);
            // Opened before this scan ends, so a poke after it is seen.
            turn.emplace(m_dir, turn_fifo_name(my_index));
            // After a table rebuild the counter restarts; tickets handed out later must still
            // come after ours, or newcomers would pass the waiters already queued.
            if (ticket >= t.header.next_ticket) t.header.next_ticket = ticket + 1;
          } else if (!warned_full) {
            m_log.warn(agent, "queue-full", "no free waiter record; retrying");
            warned_full = true;
          }
        };
        if (!nobody_waits && (my_index < 0 || !is_mine(t.waiters[my_index], run, ticket))) {
          take_place();
        }

        std::vector<int> ahead_index;
        for (int i = 0; i < k_max_waiters; ++i) {
          const WaiterRecord& waiter = t.waiters[i];
          if (i != my_index && waiter.state == RecordState::used && waiter.ticket < ticket) {
            ahead_index.push_back(i);
          }
        }
        std::sort(ahead_index.begin(), ahead_index.end(),
                  [&](int a, int b) { return t.waiters[a].ticket < t.waiters[b].ticket; });

        AdmissionRules rules{admission_limit(t.header), options.per_agent, t.header.paused == 1};
        const int free = rules.limit - static_cast<int>(holders.size());
        std::vector<Claimant> holding;
        for (const HolderInfo& holder : holders) {
          holding.push_back(Claimant{
              holder.agent, holder.has_record && t.slots[holder.slot].agent_explicit == 1});
        }
        std::vector<Claimant> ahead;
        for (int i : ahead_index) {
          ahead.push_back(Claimant{std::string(get_text(t.waiters[i].agent)),
                                   t.waiters[i].agent_explicit == 1});
        }
        const Claimant me{run.agent.id, run.agent.explicit_id};
        // Asked once per record and pass: waiter_state clears (and logs) a gone waiter's record.
        std::vector<std::optional<WaiterState>> states(ahead_index.size());
        auto state_of = [&](std::size_t i) {
          if (!states[i]) states[i] = waiter_state(ahead_index[i], agent);
          return *states[i];
        };
        if ((my_index >= 0 || nobody_waits) && is_my_turn(holding, ahead, me, rules, state_of)) {
          // Only bytes below the limit: with the limit unchanged, even a wrong holder count
          // could not admit more than `limit`. (Holders above a lowered limit are counted.)
          for (int slot = 0; slot < rules.limit; ++slot) {
            bool busy = std::any_of(holders.begin(), holders.end(),
                                    [&](const HolderInfo& h) { return h.slot == slot; });
            if (busy || !m_locks.try_take_slot(slot)) continue;
            write_slot(t.slots[slot], run);
            successors = successors_of(ticket, my_index);
            if (my_index >= 0) {
              clear(t.waiters[my_index]);
              m_locks.unmark_waiter(my_index);
              my_index = -1;
            }
            admitted_slot = slot;
            break;
          }
          // A slot below the limit is held by a process the count missed (a lowered limit);
          // wait and rescan.
        }

        if (admitted_slot < 0) {
          if (nobody_waits) take_place();
          if (!wake) wake.emplace(m_dir);
          snapshot.limit = rules.limit;
          snapshot.paused = rules.paused;
          snapshot.holders = holders;
          snapshot.position = static_cast<int>(ahead_index.size()) + 1;
          snapshot.waiting = 0;
          for (const WaiterRecord& waiter : t.waiters) {
            if (waiter.state == RecordState::used) ++snapshot.waiting;
          }
          if (my_index < 0) ++snapshot.waiting;
          snapshot.waited_s = seconds_since(started);

          // Free slots that waiters ahead of us take: they may be asleep without watching the
          // holders (a waiter resumed after Ctrl-Z), so tell them.
          if (!rules.paused && free > 0) {
            for (std::size_t i = 0; i < states.size(); ++i) {
              if (states[i] == WaiterState::running) to_wake.push_back(ahead_index[i]);
            }
          }

          // Whom to watch. Only a waiter that a holder's exit would admit watches the holders;
          // the others watch the nearest running waiters ahead (their death may make us next)
          // and their own FIFO, which the waiter ahead pokes when it is admitted. So a holder's
          // exit wakes the one waiter whose turn it is, instead of every waiter, which then all
          // queued for the update lock with the one whose turn it was somewhere among them.
          // With per-agent caps, whose turn a holder's exit brings depends on that holder's
          // agent: then every waiter watches every holder, as without this. A waiter without a
          // record or without its FIFO cannot be poked, so it watches the holders too.
          const bool capped = me.agent_explicit ||
                              std::any_of(holding.begin(), holding.end(),
                                          [](const Claimant& c) { return c.agent_explicit; }) ||
                              std::any_of(ahead.begin(), ahead.end(),
                                          [](const Claimant& c) { return c.agent_explicit; });
          const bool targeted = !capped && my_index >= 0 && turn && turn->fd() >= 0;
          bool next = true;
          if (targeted) {
            // Our turn if one more slot were free (unpaused): we are among the first running
            // waiters, as many as the slots already free plus one.
            AdmissionRules one_more{static_cast<int>(holders.size()) + std::max(free, 0) + 1,
                                    options.per_agent, false};
            next = is_my_turn(holding, ahead, me, one_more, state_of);
          }
          if (next) {
            for (const HolderInfo& holder : holders) {
              if (auto identity = identify(holder.pid)) watched.push_back(*identity);
            }
          }
          // Gone ones are cleared here, not watched: a zombie's pidfd is readable at once and
          // would spin us. Stopped ones do not hold anyone up, so a targeted waiter skips them.
          const std::size_t wanted =
              targeted ? static_cast<std::size_t>(std::max(free, 0) + 1) : k_max_watched_waiters;
          std::size_t watching = 0;
          for (std::size_t n = 0;
               n < ahead_index.size() && n < k_max_watched_waiters && watching < wanted; ++n) {
            std::size_t i = ahead_index.size() - 1 - n;
            WaiterState state = state_of(i);
            if (state == WaiterState::dead) continue;
            if (targeted && state == WaiterState::stopped) continue;
            const WaiterRecord& waiter = t.waiters[ahead_index[i]];
            watched.push_back(ProcessIdentity{waiter.pid, waiter.start_time});
            ++watching;
          }
        }
      }
    }

    // With the update lock released, so those woken can rescan at once.
    for (int index : successors) wake_waiter(m_dir, index);
    for (int index : to_wake) wake_waiter(m_dir, index);

    if (admitted_slot >= 0) {
      // Reported only now, with the update lock released: a blocked stderr (a full pipe, a
      // terminal paused with Ctrl-S) must not freeze the queue for everyone.
      double waited = seconds_since(started);
      m_log.info(agent, "admitted",
                 "slot=" + std::to_string(admitted_slot) + " ticket=" + std::to_string(ticket) +
                     " waited_ms=" + std::to_string(static_cast<long>(waited * 1000)) +
                     " cwd=" + run.cwd);
      if (announced) observer.on_admitted(waited);
      Acquired result;
      result.slot = admitted_slot;
      result.waited_s = waited;
      return result;
    }

    if (!announced) {
      m_log.info(agent, "queued",
                 "ticket=" + std::to_string(ticket) +
                     " position=" + std::to_string(snapshot.position) +
                     " busy=" + std::to_string(snapshot.holders.size()) + "/" +
                     std::to_string(snapshot.limit));
      observer.on_wait_start(snapshot);
      announced = true;
    } else if (announced) {
      snapshot.waited_s = seconds_since(started);
      observer.on_progress(snapshot);
    }

    // Sleep until a holder or a waiter ahead exits (pidfd), a signal, the timeout or the tick.
    std::vector<pollfd> fds;
    if (options.signal_fd >= 0) fds.push_back(pollfd{options.signal_fd, POLLIN, 0});
    const std::size_t wake_index = fds.size();
    const bool wake_polled = wake && wake->fd() >= 0;
    if (wake_polled) fds.push_back(pollfd{wake->fd(), POLLIN, 0});
    const std::size_t turn_index = fds.size();
    const bool turn_polled = turn && turn->fd() >= 0;
    if (turn_polled) fds.push_back(pollfd{turn->fd(), POLLIN, 0});
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
    // Something changed under us: rescan at once, but never spin if it keeps "changing".
    int wait_ms = !changed ? k_rescan_ms : (quick_rescans++ < 3 ? 0 : 10);
    if (!changed) quick_rescans = 0;
    if (options.timeout_s > 0) {
      double left_ms = (options.timeout_s - seconds_since(started)) * 1000;
      wait_ms = std::clamp(static_cast<int>(left_ms), 0, wait_ms);
    }
    ::poll(fds.data(), fds.size(), wait_ms);
    bool signalled = options.signal_fd >= 0 && (fds[0].revents & POLLIN) != 0;
    if (wake_polled && fds[wake_index].revents != 0) wake->rearm();
    if (turn_polled && fds[turn_index].revents != 0) turn->rearm();
    for (std::size_t i = first_pidfd; i < fds.size(); ++i) ::close(fds[i].fd);

    if (signalled) {
      signalfd_siginfo info{};
      int signal = SIGINT;
      if (::read(options.signal_fd, &info, sizeof info) == sizeof info) {
        signal = static_cast<int>(info.ssi_signo);
      }
      leave();
      m_log.info(agent, "interrupted",
                 "signal=" + std::to_string(signal) + " ticket=" + std::to_string(ticket));
      Acquired result = ended(Acquired::Outcome::interrupted);
      result.signal = signal;
      return result;
    }
    if (options.timeout_s > 0 && seconds_since(started) >= options.timeout_s) {
      leave();
      std::string holder_list;
      for (const HolderInfo& holder : snapshot.holders) {
        holder_list += " " + std::to_string(holder.pid) + "/" + holder.agent;
      }
      m_log.warn(agent, "timed-out",
                 "ticket=" + std::to_string(ticket) + " waited_ms=" +
                     std::to_string(static_cast<long>(seconds_since(started) * 1000)) +
                     " holders=" + holder_list);
      return ended(Acquired::Outcome::timed_out);
    }
  }
}

}  // namespace vq
