#include "verbs.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cleanup.h"
#include "cluster_limit.h"
#include "display_text.h"
#include "doctor.h"
#include "exit_codes.h"
#include "install_layout.h"
#include "leftovers.h"
#include "priority_control.h"
#include "queue_choice.h"
#include "queue_control.h"
#include "queue_store.h"
#include "reset.h"
#include "run_verb.h"
#include "serve_verb.h"
#include "status_json.h"
#include "status_report.h"
#include "status_text.h"
#include "watch.h"

namespace vq::admin {

void error_line(const std::string& text) {
  std::fprintf(stderr, "vq-admin: error: %s\n", text.c_str());
}

namespace {

// How long a verb waits for the table's update lock before it names who holds it.
constexpr std::chrono::milliseconds k_lock_wait{2000};

bool wants_colour(int fd) {
  const char* no_colour = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  return ::isatty(fd) == 1 && (no_colour == nullptr || *no_colour == '\0') &&
         !(term != nullptr && std::string(term) == "dumb");
}

// Reports a failure from the queue once, with its fix, and returns the matching exit status.
int report_failure(const Error& error) {
  if (is_lock_timeout(error)) {
    error_line(error.message +
               " — continue or end that process (kill -CONT PID, or kill PID), then try again");
    return k_exit_lock_stuck;
  }
  error_line(error.message);
  return k_exit_unavailable;
}

int do_status(QueueStore& queue, bool json, bool watch, int interval_ms, int sample_ms,
              const std::optional<cluster::ClusterSettings>& cluster) {
  if (watch) {
    WatchOptions options;
    options.cluster = cluster;
    options.interval = std::chrono::milliseconds(interval_ms);
    options.terminal = ::isatty(STDOUT_FILENO) == 1;
    options.style.colour = wants_colour(STDOUT_FILENO);
    return watch_status(queue, options);
  }
  // CPU is the average over each run so far unless a sample is asked for: a plain report must
  // not keep its caller waiting.
  // Only the active runs' trees are read where the kernel lists children (see take_trees).
  std::optional<ProcessSnapshot> before;
  if (sample_ms > 0) {
    auto first = collect_status(queue, k_lock_wait);
    before = ProcessSnapshot::take_trees(first ? active_pids(*first) : std::vector<pid_t>{});
    std::this_thread::sleep_for(std::chrono::milliseconds(sample_ms));
  }
  auto report = collect_status(queue, k_lock_wait);
  if (!report) return report_failure(report.error());
  add_usage(*report, ProcessSnapshot::take_trees(active_pids(*report)),
            before ? &*before : nullptr);
  add_live_figures(*report, queue.dir());
  add_cluster_status(*report, cluster);
  report->leftovers = find_leftovers();
  if (json) {
    std::printf("%s\n", status_json(*report).dump(2).c_str());
  } else {
    std::fputs(render_status_text(*report, TextStyle{wants_colour(STDOUT_FILENO)}).c_str(), stdout);
  }
  return report->table == HeaderCheck::valid || report->table == HeaderCheck::blank
             ? k_exit_ok
             : k_exit_unavailable;
}

std::string describe_record(const StaleRecord& record) {
  std::string what = record.kind == StaleRecord::Kind::holder
                         ? "slot " + std::to_string(record.index)
                         : "waiter record " + std::to_string(record.index);
  return what + ": PID " + std::to_string(record.pid) +
         (record.agent.empty() ? "" : " (Agent: " + display_text(record.agent) + ")") + " [" +
         display_text(record.reason) + "]";
}

int do_cleanup(QueueStore& queue) {
  auto removed = cleanup(queue, k_lock_wait);
  if (!removed) return report_failure(removed.error());
  if (removed->empty()) {
    std::printf("Nothing to clean up: every record belongs to a live holder or waiter.\n");
    return k_exit_ok;
  }
  std::printf("Removed %zu stale record%s:\n", removed->size(), removed->size() == 1 ? "" : "s");
  for (const StaleRecord& record : *removed) std::printf("  %s\n", describe_record(record).c_str());
  return k_exit_ok;
}

// Says what it will end, then ends it: whole process groups of leftovers, single processes
// where a group also holds something else.
int end_leftovers() {
  std::vector<Leftover> leftovers = find_leftovers();
  if (leftovers.empty()) {
    std::printf("No leftovers: no process of an ended run is alive.\n");
    return k_exit_ok;
  }
  EndingPlan plan = plan_ending(leftovers);
  std::printf("Ending %zu leftover process%s of ended runs (SIGTERM):\n", leftovers.size(),
              leftovers.size() == 1 ? "" : "es");
  for (const Leftover& leftover : leftovers) {
    std::printf("  PID %d (group %d, run %d): %s\n", static_cast<int>(leftover.pid),
                static_cast<int>(leftover.process_group), static_cast<int>(leftover.holder.pid),
                display_text(leftover.command).c_str());
  }
  std::fflush(stdout);
  for (pid_t group : plan.groups) ::kill(-group, SIGTERM);
  for (pid_t pid : plan.processes) ::kill(pid, SIGTERM);
  return k_exit_ok;
}

int do_limit(QueueStore& queue, int limit) {
  auto change = set_limit(queue, limit, k_lock_wait);
  if (!change) return report_failure(change.error());
  if (change->old_limit == change->new_limit) {
    std::printf("The limit is already %d.\n", limit);
  } else if (change->new_limit > change->old_limit) {
    std::printf("Limit raised from %d to %d: waiters are admitted now.\n", change->old_limit,
                change->new_limit);
  } else {
    std::printf(
        "Limit lowered from %d to %d: running holders finish on their own; nobody new is "
        "admitted until fewer than %d run.\n",
        change->old_limit, change->new_limit, change->new_limit);
  }
  if (change->new_paused)
    std::printf("Note: admission is paused; `vq-admin resume` restarts it.\n");
  return k_exit_ok;
}

int do_priority(QueueStore& queue, pid_t pid, Priority level) {
  auto change = set_waiter_priority(queue, pid, level, k_lock_wait);
  if (!change) {
    if (change.error().kind != ErrorKind::bad_config) return report_failure(change.error());
    error_line(change.error().message);
    return k_exit_no_waiter;
  }
  std::printf("PID %d: priority %s -> %s; place in line %d -> %d.\n", static_cast<int>(pid),
              std::string(priority_name(change->old_level)).c_str(),
              std::string(priority_name(change->new_level)).c_str(), change->old_position,
              change->new_position);
  return k_exit_ok;
}

int do_pause(QueueStore& queue, bool paused) {
  auto change = set_paused(queue, paused, k_lock_wait);
  if (!change) return report_failure(change.error());
  if (change->old_paused == paused) {
    std::printf("Admission was already %s.\n", paused ? "paused" : "running");
  } else if (paused) {
    std::printf(
        "Admission paused: running holders finish, waiters keep their place; `vq-admin resume` "
        "restarts admission.\n");
  } else {
    std::printf("Admission resumed.\n");
  }
  return k_exit_ok;
}

int do_reset(const Config& config, bool force) {
  std::string path = queue_dir_path(config);
  auto outcome = reset_table(path, config.group, config.limit, force, k_lock_wait);
  if (!outcome) return report_failure(outcome.error());
  std::string losses;
  for (const Holder& holder : outcome->live_holders) {
    losses += "  holder PID " + std::to_string(holder.pid) + " (slot " +
              std::to_string(holder.slot) +
              "): keeps its slot, but shows without agent and start time until it exits\n";
  }
  for (pid_t pid : outcome->live_waiters) {
    losses += "  waiter PID " + std::to_string(pid) +
              ": re-registers with its place within 0.5 s; a newcomer may pass it meanwhile\n";
  }
  if (outcome->refused) {
    error_line("refusing to reset the slot table of " + path + " (it is " + outcome->table_state +
               "): live runs would lose their records — wait for them to "
               "finish, or run `vq-admin reset --force`");
    std::fputs(losses.c_str(), stderr);
    return k_exit_refused;
  }
  std::printf("Rebuilt the slot table of %s (it was %s): limit %d, %s.\n", path.c_str(),
              outcome->table_state.c_str(), outcome->limit,
              outcome->paused ? "paused" : "admitting");
  if (!losses.empty()) std::printf("Forced past live runs:\n%s", losses.c_str());
  return k_exit_ok;
}

// This installation's vq-install (P/bin/vq-install); none beside a build tree's vq-admin.
std::string installer_path() {
  std::string installer = below_prefix("bin/vq-install");
  return ::access(installer.c_str(), X_OK) == 0 ? installer : "";
}

int do_doctor(const std::string& queue_dir) {
  char cwd[PATH_MAX];
  DoctorInputs inputs{.env = process_env(),
                      .cwd = ::getcwd(cwd, sizeof cwd) != nullptr ? cwd : ".",
                      .shim = shim_path(),
                      .preload = preload_path(),
                      .queue_dir = queue_dir,
                      .installer = installer_path()};
  auto checks = run_doctor(inputs);
  std::fputs(render_doctor(checks, wants_colour(STDOUT_FILENO)).c_str(), stdout);
  for (const DoctorCheck& check : checks) {
    if (!check.ok) return k_exit_problems;
  }
  return k_exit_ok;
}

// The settings with --queue-dir applied; on a bad value, the error line and k_exit_config.
std::optional<Config> load_settings(const VerbRequest& request, int& exit_status) {
  auto config = load_admin_config(process_env(), request.queue_dir);
  if (!config) {
    error_line(config.error().message + " — fix or unset it");
    exit_status = k_exit_config;
    return std::nullopt;
  }
  return *config;
}

int queue_unavailable(const Error& error) {
  error_line(error.message + " — fix it, or choose another queue with VQ_QUEUE_DIR or --queue-dir");
  return k_exit_unavailable;
}

// Runs `act` on the queue as it is (reporting verbs).
template <typename Act>
int with_queue(const VerbRequest& request, Act act) {
  int exit_status = k_exit_ok;
  auto config = load_settings(request, exit_status);
  if (!config) return exit_status;
  auto queue = attach_queue(*config);
  if (!queue) return queue_unavailable(queue.error());
  return act(*queue);
}

// Runs `act` on the queue, created first when no run has used it yet (steering verbs): seeded
// with `seed_limit`, else as the shim would seed it (VQ_MAX_PROCESSES).
template <typename Act>
int with_steered_queue(const VerbRequest& request, std::optional<int> seed_limit, Act act) {
  int exit_status = k_exit_ok;
  auto config = load_settings(request, exit_status);
  if (!config) return exit_status;
  int seed = seed_limit.value_or(config->limit);
  bool created = false;
  auto queue = attach_or_create_queue(*config, seed, k_lock_wait, created);
  if (!queue) {
    return is_lock_timeout(queue.error()) ? report_failure(queue.error())
                                          : queue_unavailable(queue.error());
  }
  if (created) {
    std::printf("Created the queue %s with limit %d (no run had used it yet).\n",
                queue->dir().path().c_str(), seed);
  }
  return act(*queue, created);
}

}  // namespace

int status_verb(const VerbRequest& request) {
  int exit_status = k_exit_ok;
  auto config = load_settings(request, exit_status);
  if (!config) return exit_status;
  auto queue = attach_queue(*config);
  if (!queue) return queue_unavailable(queue.error());
  return do_status(*queue, request.json, request.watch, request.interval_ms, request.sample_ms,
                   config->cluster);
}

int cleanup_verb(const VerbRequest& request) {
  return with_queue(request, [&](QueueStore& queue) {
    int status = do_cleanup(queue);
    return request.orphans && status == k_exit_ok ? end_leftovers() : status;
  });
}

int limit_verb(const VerbRequest& request) {
  if (request.cluster_limit > 0) {
    int exit_status = k_exit_ok;
    auto config = load_settings(request, exit_status);
    return config ? set_cluster_limit(*config, request.cluster_limit) : exit_status;
  }
  return with_steered_queue(request, request.limit, [&](QueueStore& queue, bool created) {
    return created ? k_exit_ok : do_limit(queue, request.limit);
  });
}

int pause_verb(const VerbRequest& request) {
  return with_steered_queue(request, std::nullopt,
                            [](QueueStore& queue, bool) { return do_pause(queue, true); });
}

int resume_verb(const VerbRequest& request) {
  return with_steered_queue(request, std::nullopt,
                            [](QueueStore& queue, bool) { return do_pause(queue, false); });
}

int priority_verb(const VerbRequest& request) {
  auto level = parse_priority(request.level);
  if (!level) {
    error_line("'" + display_text(request.level) +
               "' is not a priority level — give low, normal, high or urgent (or 0 to 3)");
    return k_exit_usage;
  }
  return with_queue(request,
                    [&](QueueStore& queue) { return do_priority(queue, request.pid, *level); });
}

int urgent_verb(const VerbRequest& request) {
  return with_queue(request, [&](QueueStore& queue) {
    return do_priority(queue, request.pid, Priority::urgent);
  });
}

int run_verb(const VerbRequest& request) {
  return run_as_agent(request.agent_id, request.vitest_args, request.queue_dir);
}

int reset_verb(const VerbRequest& request) {
  int exit_status = k_exit_ok;
  auto config = load_settings(request, exit_status);
  if (!config) return exit_status;
  return do_reset(*config, request.force);
}

int doctor_verb(const VerbRequest& request) {
  return do_doctor(request.queue_dir);
}

int serve_verb(const VerbRequest& request) {
  return serve_queue(request.queue_dir,
                     ServeOptions{request.listen, request.socket_path, request.read_only,
                                  request.max_streams, request.token_file});
}

}  // namespace vq::admin
