#include "chaos_storm.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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

// The longest time a slot stayed free (fewer than `limit` runs by the records) while some launch
// was on its way to a slot: spawned, and not yet started, killed or gone. It includes each
// launch's own start-up and every handoff (exit, wake, exec), so it is never zero; a lost or
// unwatched slot would show as a stall that lasts until something else happens.
double longest_stall_ms(const std::vector<RecordEvent>& events, const std::vector<Run>& runs,
                        int limit) {
  struct Edge {
    std::int64_t ns;
    int running;
    int waiting;
  };
  std::vector<Edge> edges;
  for (const RecordEvent& event : events) {
    edges.push_back({event.ns, event.kind == RecordEvent::Kind::start ? 1 : -1, 0});
  }
  for (const Run& run : runs) {
    auto start = find_event(events, RecordEvent::Kind::start, run.id);
    const std::int64_t until = start ? start->ns : run.killed_ns ? *run.killed_ns : run.reaped_ns;
    if (until <= run.spawned_ns) continue;
    edges.push_back({run.spawned_ns, 0, 1});
    edges.push_back({until, 0, -1});
  }
  std::sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) { return a.ns < b.ns; });
  int running = 0;
  int waiting = 0;
  std::optional<std::int64_t> stall_since;
  std::int64_t longest = 0;
  for (std::size_t i = 0; i < edges.size(); ++i) {
    running += edges[i].running;
    waiting += edges[i].waiting;
    if (i + 1 < edges.size() && edges[i + 1].ns == edges[i].ns) continue;  // settle the instant
    const bool stalled = running < limit && waiting > 0;
    if (stalled && !stall_since) stall_since = edges[i].ns;
    if (!stalled && stall_since) {
      longest = std::max(longest, edges[i].ns - *stall_since);
      stall_since.reset();
    }
  }
  return static_cast<double>(longest) / 1e6;
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
  out << "longest-stall-ms " << longest_stall_ms << "\n";
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
      const int sleep_ms = roll < 70   ? between(5, 120)
                           : roll < 95 ? between(120, 400)
                                       : between(400, 1500);
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
      if (!holders.empty() && chance(0.5)) {
        kill_now(runs[holders[between(0, static_cast<int>(holders.size()) - 1)]], "holder");
      }
    }

    for (std::size_t index : alive) {
      Run& run = runs[index];
      if (run.killed_ns) continue;
      if (run.pauses && !run.stop_handled && reports_stopped(run.process->pid())) {
        run.stop_handled = true;
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
  figures.longest_stall_ms = longest_stall_ms(events, runs, options.limit);
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
