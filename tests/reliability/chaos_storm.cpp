#include "chaos_storm.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>

namespace vq::mp {
namespace {

struct Run {
  std::string id;
  std::unique_ptr<Process> process;
  std::int64_t spawned_ns = 0;
  bool pauses = false;                     // asked to stop inside an update
  bool stop_handled = false;               // its stop was seen and dealt with
  std::optional<std::int64_t> kill_at_ns;  // a timed victim
  std::optional<std::int64_t> killed_ns;   // when this process sent SIGKILL
  bool hung = false;
  std::int64_t reaped_ns = 0;
  std::optional<std::int64_t> stopped_ns;       // seen stopped inside an update
  std::optional<std::int64_t> said_waiting_ns;  // "vq: waiting" first seen on its stderr
};

// Who holds byte 0 of the lock file (the update lock), by F_GETLK; 0 when free.
pid_t update_lock_holder(int lock_fd) {
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  probe.l_start = 0;
  probe.l_len = 1;
  if (lock_fd < 0 || ::fcntl(lock_fd, F_GETLK, &probe) != 0 || probe.l_type == F_UNLCK) return 0;
  return probe.l_pid;
}

// Consumes a pending stop report of `pid` without reaping it (WEXITED is not asked for).
bool reports_stopped(pid_t pid) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WSTOPPED | WNOHANG) != 0) return false;
  return info.si_pid == pid && info.si_code == CLD_STOPPED;
}

bool contains(const std::string& text, const char* what) {
  return text.find(what) != std::string::npos;
}

// Slot handoffs, from the records: every end frees a slot, every start takes the slot free the
// longest. For a start of a launch that had said `vq: waiting` (seen by polling its stderr), the
// time since that slot was free and the launch was waiting is how long a waiter waited beside a
// free slot. A handoff (exit, wake, exec of vitest) takes milliseconds; a lost slot never comes
// back, so the next waiter's start is charged from the moment it was lost. Start-up before the
// queue is left out: on a saturated machine a launch takes hundreds of ms to reach the queue.
struct Handoff {
  std::int64_t wait_ns = 0;
  std::string detail;
};

Handoff slowest_handoff(std::vector<RecordEvent> events, const std::vector<Run>& runs, int limit,
                        std::int64_t origin_ns) {
  std::map<std::string, std::int64_t> said_waiting;
  for (const Run& run : runs) {
    if (run.said_waiting_ns) said_waiting[run.id] = *run.said_waiting_ns;
  }
  std::sort(events.begin(), events.end(), [](const RecordEvent& a, const RecordEvent& b) {
    if (a.ns != b.ns) return a.ns < b.ns;
    return a.kind == RecordEvent::Kind::end && b.kind == RecordEvent::Kind::start;
  });
  auto ms = [&](std::int64_t ns) { return std::to_string((ns - origin_ns) / 1'000'000); };
  std::deque<std::int64_t> free_since(static_cast<std::size_t>(limit), origin_ns);
  Handoff slowest;
  for (const RecordEvent& event : events) {
    if (event.kind == RecordEvent::Kind::end) {
      free_since.push_back(event.ns);
      continue;
    }
    if (free_since.empty()) continue;  // an overshoot, counted elsewhere
    const std::int64_t freed = free_since.front();
    free_since.pop_front();
    auto said = said_waiting.find(event.id);
    if (said == said_waiting.end() || said->second >= event.ns) continue;
    const std::int64_t wait = event.ns - std::max(freed, said->second);
    if (wait > slowest.wait_ns) {
      slowest.wait_ns = wait;
      slowest.detail = event.id + ": said waiting at " + ms(said->second) +
                       " ms, a slot free since " + ms(freed) + " ms, started at " + ms(event.ns) +
                       " ms";
    }
  }
  return slowest;
}

}  // namespace

int StormFigures::total_kills() const {
  int total = 0;
  for (const auto& [phase, count] : kills) total += count;
  return total;
}

std::string StormFigures::summary() const {
  std::ostringstream out;
  out << "launches " << launches << "\n";
  out << "kills " << total_kills() << "\n";
  for (const char* phase : {"starting", "waiting", "holder", "in-update"}) {
    auto it = kills.find(phase);
    out << "kills." << phase << " " << (it == kills.end() ? 0 : it->second) << "\n";
  }
  out << "paused-in-update " << paused << "\n";
  out << "paused-holding-update-lock " << paused_holding_update_lock << "\n";
  out << "continued " << continued << "\n";
  out << "survivors " << survivors << "\n";
  out << "survivors-started " << survivors_started << "\n";
  out << "max-overlap-records " << max_overlap << "\n";
  out << "max-overlap-sampled " << max_sampled << "\n";
  out << "samples " << samples << "\n";
  out << "overshoots " << overshoots << "\n";
  out << "slowest-handoff-ms " << slowest_handoff_ms << "\n";
  out << "hangs " << hangs << "\n";
  out << "crashes " << crashes << "\n";
  out << "wall-s " << wall_s << "\n";
  return out.str();
}

StormFigures run_storm(const StormOptions& options) {
  StormFigures figures;
  std::mt19937 random(options.seed);
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(random) < p; };
  auto between = [&](int low, int high) {
    return std::uniform_int_distribution<int>(low, high)(random);
  };
  const std::string fake = real_path(fake_vitest_path());
  int lock_probe_fd = -1;  // opened at the first stop: the queue may not exist before

  std::vector<Run> runs;
  runs.reserve(static_cast<std::size_t>(options.launches));
  std::vector<std::size_t> alive;
  const std::int64_t started_ns = monotonic_ns();
  std::int64_t next_spawn_ns = started_ns;
  std::int64_t next_snipe_ns = started_ns;
  std::int64_t next_sample_ns = started_ns;

  auto kill_now = [&](Run& run, const std::string& phase) {
    run.killed_ns = monotonic_ns();
    run.process->send(SIGKILL);
    ++figures.kills[phase];
  };
  auto phase_of = [&](const Run& run) -> std::string {
    if (resolved_exe(run.process->pid()) == fake) return "holder";
    return contains(read_file(options.tmp + "/" + run.id + ".err"), "vq: waiting") ? "waiting"
                                                                                   : "starting";
  };
  // A live fake vitest: it holds a slot (or ran unqueued, which is just as much an overshoot).
  auto is_running_fake = [&](pid_t pid) {
    const char state = process_state(pid);
    return state != '\0' && state != 'Z' && state != 'X' && resolved_exe(pid) == fake;
  };

  while (static_cast<int>(runs.size()) < options.launches || !alive.empty()) {
    const std::int64_t now = monotonic_ns();

    if (static_cast<int>(runs.size()) < options.launches &&
        static_cast<int>(alive.size()) < options.max_in_flight && now >= next_spawn_ns) {
      Run run;
      run.id = "c" + std::to_string(runs.size());
      // Mostly short runs, some long ones, so holders, waiters and handoffs all happen often.
      const int roll = between(0, 99);
      int sleep_ms = roll < 70   ? between(5, 120)
                     : roll < 95 ? between(120, 400)
                                 : between(400, 1500);
      if (options.fixed_sleep_ms > 0) sleep_ms = options.fixed_sleep_ms;
      Env env = options.env;
      env["FAKE_ID"] = run.id;
      env["FAKE_SLEEP_MS"] = std::to_string(sleep_ms);
      if (chance(options.pause_share)) {
        run.pauses = true;
        env["VQ_TEST_PAUSE_IN_UPDATE"] = chance(0.5) ? "slot-record" : "waiter-record";
      } else if (chance(options.victim_share)) {
        // Some at once (still starting), the rest at any moment of waiting or holding.
        const int delay_us = chance(0.3) ? between(0, 3'000) : between(0, 400'000);
        run.kill_at_ns = now + std::int64_t{delay_us} * 1'000;
      }
      Launch launch;
      launch.program = options.shim;
      launch.argv = {options.shim, "run"};
      launch.env = env;
      launch.stdout_path = options.tmp + "/" + run.id + ".out";
      launch.stderr_path = options.tmp + "/" + run.id + ".err";
      run.spawned_ns = now;
      run.process = std::make_unique<Process>(launch);
      runs.push_back(std::move(run));
      alive.push_back(runs.size() - 1);
      next_spawn_ns = now + std::int64_t{between(0, 15)} * 1'000'000;
    }

    // A random holder shot every so often, on top of the timed victims.
    if (now >= next_snipe_ns) {
      next_snipe_ns = now + std::int64_t{between(50, 150)} * 1'000'000;
      std::vector<std::size_t> holders;
      for (std::size_t index : alive) {
        Run& run = runs[index];
        if (!run.killed_ns && !run.pauses && resolved_exe(run.process->pid()) == fake) {
          holders.push_back(index);
        }
      }
      if (!holders.empty() && chance(options.snipe_chance)) {
        kill_now(runs[holders[between(0, static_cast<int>(holders.size()) - 1)]], "holder");
      }
    }

    for (std::size_t index : alive) {
      Run& run = runs[index];
      if (run.killed_ns) continue;
      if (run.pauses && !run.stop_handled && reports_stopped(run.process->pid())) {
        run.stop_handled = true;
        run.stopped_ns = monotonic_ns();
        ++figures.paused;
        if (lock_probe_fd < 0) {
          lock_probe_fd = ::open(options.lock_path.c_str(), O_RDWR | O_CLOEXEC);
        }
        if (update_lock_holder(lock_probe_fd) == run.process->pid()) {
          ++figures.paused_holding_update_lock;
        }
        if (chance(options.continue_share)) {
          ++figures.continued;
          run.process->send(SIGCONT);
        } else {
          kill_now(run, "in-update");
        }
      } else if (run.kill_at_ns && now >= *run.kill_at_ns) {
        kill_now(run, phase_of(run));
      } else if (now - run.spawned_ns > std::chrono::nanoseconds(options.run_deadline).count()) {
        run.hung = true;
        figures.problems.push_back(run.id + " (pid " + std::to_string(run.process->pid()) +
                                   ") still alive after " +
                                   std::to_string(options.run_deadline.count()) + " ms");
        run.killed_ns = monotonic_ns();
        run.process->send(SIGKILL);
      }
    }

    // Two passes: a process counted is alive in both, so all counted ones were alive together
    // at the instant between the passes (a single pass could add up a death and a later start).
    if (now >= next_sample_ns) {
      next_sample_ns = now + 5'000'000;
      std::vector<pid_t> first;
      for (std::size_t index : alive) {
        const pid_t pid = runs[index].process->pid();
        if (is_running_fake(pid)) first.push_back(pid);
      }
      int both = 0;
      for (pid_t pid : first) both += is_running_fake(pid) ? 1 : 0;
      figures.max_sampled = std::max(figures.max_sampled, both);
      ++figures.samples;
      for (std::size_t index : alive) {
        Run& run = runs[index];
        if (run.said_waiting_ns || run.killed_ns) continue;
        if (contains(read_file(options.tmp + "/" + run.id + ".err"), "vq: waiting")) {
          run.said_waiting_ns = now;
        }
      }
    }

    std::erase_if(alive, [&](std::size_t index) {
      Run& run = runs[index];
      if (!run.process->has_exited()) return false;
      run.reaped_ns = monotonic_ns();
      return true;
    });
    sleep_for_ms(1);
  }
  figures.wall_s = static_cast<double>(monotonic_ns() - started_ns) / 1e9;
  if (lock_probe_fd >= 0) ::close(lock_probe_fd);

  // The records, with a kill as the end of a run killed before its end line.
  std::vector<RecordEvent> events = read_records(options.record_path);
  for (const Run& run : runs) {
    if (!run.killed_ns) continue;
    if (find_event(events, RecordEvent::Kind::start, run.id) &&
        !find_event(events, RecordEvent::Kind::end, run.id)) {
      events.push_back({RecordEvent::Kind::end, run.id, run.process->pid(), *run.killed_ns});
    }
  }
  figures.max_overlap = max_overlap(events);
  const Handoff handoff = slowest_handoff(events, runs, options.limit, started_ns);
  figures.slowest_handoff_ms = static_cast<double>(handoff.wait_ns) / 1e6;
  figures.slowest_handoff = handoff.detail;
  {
    auto sorted = events;
    std::sort(sorted.begin(), sorted.end(), [](const RecordEvent& a, const RecordEvent& b) {
      if (a.ns != b.ns) return a.ns < b.ns;
      return a.kind == RecordEvent::Kind::end && b.kind == RecordEvent::Kind::start;
    });
    int running = 0;
    for (const auto& event : sorted) {
      running += event.kind == RecordEvent::Kind::start ? 1 : -1;
      if (event.kind == RecordEvent::Kind::start && running > options.limit) ++figures.overshoots;
    }
  }

  figures.launches = static_cast<int>(runs.size());
  for (const Run& run : runs) {
    const int status = *run.process->status();
    const std::string err = read_file(options.tmp + "/" + run.id + ".err");
    std::string problem;
    if (run.hung) {
      ++figures.hangs;
      continue;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 75) {
      ++figures.hangs;
      problem = "timed out in the queue";
    } else if (run.killed_ns) {
      // Killed: SIGKILL, or it finished first (exit 0).
      if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) &&
          !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        problem = describe_status(status);
      }
    } else {
      ++figures.survivors;
      if (find_event(events, RecordEvent::Kind::start, run.id)) ++figures.survivors_started;
      if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) problem = describe_status(status);
    }
    // The shim fails open with a warning; sanitizers report on stderr.
    for (const char* sign : {"vq: warning", "vq: error", "Sanitizer", "runtime error"}) {
      if (problem.empty() && contains(err, sign))
        problem = "stderr says '" + std::string(sign) + "'";
    }
    if (!problem.empty()) {
      if (!contains(problem, "timed out")) ++figures.crashes;
      figures.problems.push_back(run.id + " (pid " + std::to_string(run.process->pid()) +
                                 "): " + problem + "; stderr: " + err.substr(0, 400));
    }
  }
  return figures;
}

}  // namespace vq::mp
