#include "commands.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "cleanup.h"
#include "display_text.h"
#include "doctor.h"
#include "exit_codes.h"
#include "install_layout.h"
#include "queue_control.h"
#include "queue_store.h"
#include "reset.h"
#include "run_verb.h"
#include "status_json.h"
#include "status_report.h"
#include "status_text.h"
#include "watch.h"

namespace vq::admin {
namespace {

// How long a verb waits for the table's update lock before it names who holds it.
constexpr std::chrono::milliseconds k_lock_wait{2000};

void error_line(const std::string& text) {
  std::fprintf(stderr, "vq-admin: error: %s\n", text.c_str());
}

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

struct Context {
  std::string queue_dir;  // --queue-dir; else VQ_QUEUE_DIR, else the default
  Config config;
};

// The queue the shim uses with this environment.
int open_queue(const Context& context, std::optional<QueueStore>& queue) {
  std::string path = queue_dir_path(context.config);
  auto opened = QueueStore::attach(path, context.config.log_level, context.config.group);
  if (!opened) {
    error_line(opened.error().message +
               " — fix it, or choose another queue with VQ_QUEUE_DIR or --queue-dir");
    return k_exit_unavailable;
  }
  queue.emplace(std::move(*opened));
  return k_exit_ok;
}

int do_status(QueueStore& queue, bool json, bool watch, int interval_ms, int sample_ms) {
  if (watch) {
    WatchOptions options;
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

int do_reset(const Context& context, bool force) {
  std::string path = queue_dir_path(context.config);
  auto outcome = reset_table(path, context.config.group, context.config.limit, force, k_lock_wait);
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

int do_doctor() {
  char cwd[PATH_MAX];
  DoctorInputs inputs{process_env(), ::getcwd(cwd, sizeof cwd) != nullptr ? cwd : ".", shim_path(),
                      preload_path()};
  auto checks = run_doctor(inputs);
  std::fputs(render_doctor(checks, wants_colour(STDOUT_FILENO)).c_str(), stdout);
  for (const DoctorCheck& check : checks) {
    if (!check.ok) return k_exit_problems;
  }
  return k_exit_ok;
}

}  // namespace

int admin_main(int argc, char** argv) {
  CLI::App app{
      "vq-admin: see, repair and steer the machine-wide vitest queue.\n"
      "Works on the queue the vitest shim uses: VQ_QUEUE_DIR, else /tmp/vq-$UID.",
      "vq-admin"};
  app.require_subcommand(1);
  app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
    std::string verb;
    for (const CLI::App* sub : failed->get_subcommands()) verb = sub->get_name() + " ";
    return "vq-admin: error: " + std::string(e.what()) + " — see `vq-admin " + verb + "--help`\n";
  });
  std::string queue_dir;
  app.add_option("--queue-dir", queue_dir,
                 "Queue directory (default: VQ_QUEUE_DIR, else /tmp/vq-$UID)");

  bool json = false, watch = false, force = false;
  int interval_ms = 1000, sample_ms = 0, limit = 0;
  std::string agent_id;
  std::vector<std::string> vitest_args;

  auto* status =
      app.add_subcommand("status", "Show holders, waiters, limit, pause and stale records");
  status->add_flag("--json", json, "Print the report as JSON (schema in the README)");
  auto* watch_flag = status->add_flag("--watch", watch, "Redraw the report in place until Ctrl-C");
  status->add_option("--interval", interval_ms, "Milliseconds between redraws with --watch")
      ->check(CLI::Range(100, 3600000))
      ->needs(watch_flag);
  status
      ->add_option("--sample", sample_ms,
                   "Also measure each run's CPU over this many milliseconds (cpu_percent); "
                   "without it, CPU is the average over the run so far")
      ->check(CLI::Range(1, 10000))
      ->excludes(watch_flag);
  status->footer("Exit status: 0, or 69 when the table is unreadable, 75 when its lock is stuck.");

  auto* cleanup_cmd = app.add_subcommand(
      "cleanup", "Remove records of holders and waiters that are gone (never a live one)");
  auto* limit_cmd = app.add_subcommand("limit", "Change how many vitest runs are admitted at once");
  limit_cmd->add_option("N", limit, "The new limit, 1 to 64")->required()->check(CLI::Range(1, 64));
  auto* pause_cmd = app.add_subcommand("pause", "Stop admitting new runs (running ones finish)");
  auto* resume_cmd = app.add_subcommand("resume", "Start admitting again");
  auto* run_cmd = app.add_subcommand(
      "run", "Run vitest through the queue as <agent_id>: vq-admin run agent-1 --run");
  run_cmd->add_option("agent_id", agent_id, "The agent this run belongs to (VQ_AGENT_ID)")
      ->required();
  run_cmd->add_option("vitest_args", vitest_args, "Arguments for vitest");
  run_cmd->prefix_command();
  auto* reset_cmd = app.add_subcommand(
      "reset", "Rebuild an unreadable or incompatible slot table (refuses while runs are live)");
  reset_cmd->add_flag("--force", force, "Rebuild even while holders or waiters are live");
  auto* doctor_cmd = app.add_subcommand(
      "doctor", "Check the installation for this shell and directory, with a fix per problem");

  // CLI11 would call an unknown verb "a missing subcommand"; name it instead.
  // `run <agent_id> …`: everything after the agent id is vitest's, --help included, so it is
  // taken apart here rather than by CLI11 (which would answer --help itself).
  int verb_at = 1;
  std::string early_queue_dir;
  while (verb_at < argc) {
    std::string word = argv[verb_at];
    if (word == "--queue-dir" && verb_at + 1 < argc) {
      early_queue_dir = argv[verb_at + 1];
      verb_at += 2;
    } else if (word.starts_with("--queue-dir=")) {
      early_queue_dir = word.substr(12);
      verb_at += 1;
    } else {
      break;
    }
  }
  if (verb_at + 1 < argc && std::string(argv[verb_at]) == "run" && argv[verb_at + 1][0] != '-') {
    if (!early_queue_dir.empty()) ::setenv("VQ_QUEUE_DIR", early_queue_dir.c_str(), 1);
    return run_as_agent(argv[verb_at + 1],
                        std::vector<std::string>(argv + verb_at + 2, argv + argc));
  }
  auto is_verb = [&](const std::string& word) {
    auto all = app.get_subcommands([](CLI::App*) { return true; });
    return std::any_of(all.begin(), all.end(),
                       [&](CLI::App* sub) { return sub->get_name() == word; });
  };
  if (argc > 1 && argv[1][0] != '-' && !is_verb(argv[1])) {
    error_line(std::string("unknown verb '") + argv[1] +
               "' — verbs: status, cleanup, limit, pause, resume, run, reset, doctor (see "
               "`vq-admin --help`)");
    return k_exit_usage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? k_exit_ok : k_exit_usage;
  }

  if (run_cmd->parsed()) {
    // Only reached for forms the early dispatch above leaves alone (e.g. an agent id given
    // after an option); the agent id is required, so CLI11 has answered --help and errors.
    for (const std::string& extra : run_cmd->remaining()) vitest_args.push_back(extra);
    if (!queue_dir.empty()) ::setenv("VQ_QUEUE_DIR", queue_dir.c_str(), 1);
    return run_as_agent(agent_id, vitest_args);
  }
  if (doctor_cmd->parsed()) {
    if (!queue_dir.empty()) ::setenv("VQ_QUEUE_DIR", queue_dir.c_str(), 1);
    return do_doctor();
  }

  auto config = load_config(process_env());
  if (!config) {
    error_line(config.error().message + " — fix or unset it");
    return k_exit_config;
  }
  Context context{queue_dir, *config};
  if (!queue_dir.empty()) context.config.queue_dir = queue_dir;
  if (reset_cmd->parsed()) return do_reset(context, force);

  std::optional<QueueStore> queue;
  if (int status_code = open_queue(context, queue); status_code != k_exit_ok) return status_code;
  if (status->parsed()) return do_status(*queue, json, watch, interval_ms, sample_ms);
  if (cleanup_cmd->parsed()) return do_cleanup(*queue);
  if (limit_cmd->parsed()) return do_limit(*queue, limit);
  if (pause_cmd->parsed()) return do_pause(*queue, true);
  if (resume_cmd->parsed()) return do_pause(*queue, false);
  return k_exit_usage;
}

}  // namespace vq::admin
