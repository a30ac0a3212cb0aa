#include "shim.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "agent.h"
#include "cluster_wait.h"
#include "config.h"
#include "estimate_cache.h"
#include "estimate_refresh.h"
#include "exit_status.h"
#include "memory_admission.h"
#include "pending_watcher.h"
#include "preload_redirect.h"
#include "process_identity.h"
#include "queue_store.h"
#include "real_vitest.h"
#include "say.h"
#include "single_worker.h"
#include "vitest_exec.h"
#include "wait_display.h"
#include "wait_session.h"
#include "watch_request.h"
#include "watcher_start.h"
#include "worker_grant.h"

namespace vq {
namespace {

// A real vitest that leads back to the shim would otherwise launch itself without end.
constexpr int k_max_shim_depth = 8;

std::string current_directory() {
  char buffer[PATH_MAX];
  return ::getcwd(buffer, sizeof buffer) != nullptr ? buffer : "";
}

std::string join(int argc, char** argv) {
  std::string text;
  for (int i = 0; i < argc; ++i) {
    if (i > 0) text += ' ';
    text += argv[i];
  }
  return text;
}

int shim_depth(const EnvLookup& env) {
  const char* value = env("VQ_SHIM_DEPTH");
  int depth = 0;
  if (value != nullptr) std::from_chars(value, value + std::strlen(value), depth);
  return depth < 0 ? 0 : depth;
}

// Signals that end a wait are blocked and read from a signalfd, so the waiter can leave the
// queue cleanly; the original mask is restored before exec so vitest sees signals as usual.
class WaitSignals {
 public:
  WaitSignals() {
    sigemptyset(&m_blocked);
    for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
      // An ignored signal (nohup, a background job's SIGINT) must not end the wait either.
      struct sigaction current {};
      if (::sigaction(signal, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) continue;
      sigaddset(&m_blocked, signal);
    }
    ::sigprocmask(SIG_BLOCK, &m_blocked, &m_original);
    m_fd = ::signalfd(-1, &m_blocked, SFD_CLOEXEC | SFD_NONBLOCK);
    if (m_fd < 0) {
      // Without a signalfd, blocked signals could not end the wait: leave them as they were.
      ::sigprocmask(SIG_SETMASK, &m_original, nullptr);
      m_restored = true;
    }
  }
  ~WaitSignals() { restore(); }
  int fd() const { return m_fd; }
  void restore() {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
    if (m_restored) return;
    ::sigprocmask(SIG_SETMASK, &m_original, nullptr);
    m_restored = true;
  }

 private:
  sigset_t m_blocked{};
  sigset_t m_original{};
  int m_fd = -1;
  bool m_restored = false;
};

// While vq runs, closed stdio slots hold /dev/null, so no file of the queue lands on fd 0-2 (a
// message to stderr would then write into it). Close-on-exec: vitest finds them closed again.
void fill_closed_stdio() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0) return;
    if (null_fd != fd) {
      ::dup3(null_fd, fd, O_CLOEXEC);
      ::close(null_fd);
    }
  }
}

// Ends this process by `signal`, as it would have ended without vq, so a shell sees a child
// killed by Ctrl-C (and stops its loop) rather than one that chose to exit 130.
int die_by(int signal) {
  ::signal(signal, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, signal);
  ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
  ::raise(signal);
  return 128 + signal;  // not reached unless the signal could not kill us
}

bool inside_holder_tree(const Config& config) {
  if (config.holder_marker.empty()) return false;
  auto holder = parse_marker(config.holder_marker);
  return holder && is_in_tree_of(::getpid(), *holder);
}

// Fail open: one warning and a log line, then the run goes ahead unqueued; or refuse.
int queue_unusable(const Config& config, const std::string& queue_path, const Error& error) {
  if (auto dir = QueueDir::open(queue_path, config.group)) {
    EventLog log = open_event_log(*dir, config.log_level);
    QueueEvent event{config.fail_closed ? EventType::refused : EventType::failed_open, "-"};
    event.detail = error.message;
    log_event(log, event);
  }
  if (config.fail_closed) {
    say("vq: error: " + error.message +
        " — VQ_FAIL_CLOSED=1 refuses to run vitest without the queue; fix the queue directory"
        " or set VQ_QUEUE_DIR");
    return k_exit_unavailable;
  }
  say("vq: warning: " + error.message + " — running vitest without the queue");
  return 0;
}

// What the caller launched: argv up to vitest's own arguments, and those arguments.
struct Launch {
  std::vector<char*> launcher;
  std::vector<std::string> args;
  // For node running vitest.mjs the script names the package; else the .bin launcher does.
  std::string vitest_script;
  std::string cwd;
  std::string command_line;
};

// The preload's request (VQ_REDIRECT), taken out of the environment vitest will see.
Result<std::optional<PreloadRedirect>> take_preload_redirect(const EnvLookup& env, int argc) {
  const char* value = env("VQ_REDIRECT");
  if (value == nullptr) return std::optional<PreloadRedirect>();
  auto parsed = parse_preload_redirect(value, argc);
  ::unsetenv("VQ_REDIRECT");
  if (!parsed) return parsed.error();
  return std::optional<PreloadRedirect>(*parsed);
}

Launch describe_launch(int argc, char** argv, const std::optional<PreloadRedirect>& redirect) {
  Launch launch;
  int first_arg = std::min(redirect ? redirect->first_vitest_arg : 1, argc);
  launch.args.assign(argv + first_arg, argv + argc);
  launch.launcher.assign(argv, argv + first_arg);
  if (launch.launcher.empty()) launch.launcher.push_back(const_cast<char*>("vitest"));
  if (first_arg >= 2) launch.vitest_script = argv[first_arg - 1];
  launch.cwd = current_directory();
  launch.command_line = join(argc, argv);
  return launch;
}

// The vitest that runs (the script node is given, else the real vitest), absolute: the project
// it names keys the learned memory estimates, which the shim and the watcher must spell alike.
std::string vitest_location(const Launch& launch, const VitestExec& vitest) {
  std::filesystem::path where(launch.vitest_script.empty() ? vitest.path : launch.vitest_script);
  if (where.is_relative()) where = std::filesystem::path(launch.cwd) / where;
  return where.lexically_normal().string();
}

// A step that either yields its value or ends the shim with this status (its message said).
struct Stop {
  int status;
};
template <typename T>
using Step = std::variant<T, Stop>;

struct LocatedVitest {
  std::string path;
  RealVitestQuery query;  // what the search knew, for the chain marker
};

Step<LocatedVitest> locate_real_vitest(const Config& config, const EnvLookup& env,
                                       const Launch& launch,
                                       const std::optional<PreloadRedirect>& redirect) {
  RealVitestQuery query;
  query.override_path = config.real_vitest;
  query.cwd = launch.cwd;
  const char* path_variable = env("PATH");
  query.path_variable = path_variable != nullptr ? path_variable : "";
  if (auto self = file_identity("/proc/self/exe")) query.self = *self;
  const char* chain = env("VQ_SHIM_CHAIN");
  query.shims_seen = parse_shim_chain(chain != nullptr ? chain : "");
  // The launcher already chose what to run; searching again could pick something else.
  if (redirect) return LocatedVitest{redirect->target, query};
  RealVitest real = find_real_vitest(query);
  switch (real.outcome) {
    case RealVitest::Outcome::found:
      return LocatedVitest{real.path, query};
    case RealVitest::Outcome::not_found:
      say("vq: error: " + real.reason);
      return Stop{k_exit_not_found};
    case RealVitest::Outcome::not_executable:
      say("vq: error: " + real.reason + " — make it executable or point VQ_REAL_VITEST elsewhere");
      return Stop{k_exit_cannot_run};
    case RealVitest::Outcome::loop:
      say("vq: error: refusing to run: " + real.reason);
      return Stop{k_exit_cannot_run};
  }
  return Stop{k_exit_cannot_run};
}

// The loop guards every exec of this launch carries: depth and the shims already passed.
VitestExec plan_exec(const LocatedVitest& located, const Launch& launch, int depth) {
  VitestExec vitest;
  vitest.path = located.path;
  vitest.launcher = launch.launcher;
  vitest.given_args = launch.args;
  vitest.run_args = launch.args;
  vitest.environment.set("VQ_SHIM_DEPTH", std::to_string(depth + 1));
  std::vector<FileIdentity> shims_seen = located.query.shims_seen;
  if (std::find(shims_seen.begin(), shims_seen.end(), located.query.self) == shims_seen.end()) {
    shims_seen.push_back(located.query.self);
  }
  vitest.environment.set("VQ_SHIM_CHAIN", format_shim_chain(shims_seen));
  return vitest;
}

// VQ_WORKERS workers at most (1: the seed's rule).
void force_workers(const std::optional<VitestVersion>& version, int workers, VitestExec& vitest) {
  for (const auto& [name, value] : worker_env(workers)) vitest.environment.set(name, value);
  vitest.run_args = worker_args(vitest.given_args, version, workers);
}

std::int64_t unix_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string version_text(const std::optional<VitestVersion>& version) {
  if (!version) return "";
  return std::to_string(version->major) + "." + std::to_string(version->minor) + "." +
         std::to_string(version->patch);
}

// What vq-watch is told about this run: who, where, what, and when it joined the queue.
watch::WatchRequest watch_request_for(const std::string& queue_path, const RunInfo& run,
                                      const Launch& launch, const VitestExec& vitest,
                                      const std::optional<VitestVersion>& version,
                                      std::int64_t queued_at_ms) {
  watch::WatchRequest request;
  request.queue_dir = queue_path;
  request.pid = run.self.pid;
  request.start_time = run.self.start_time;
  request.agent = run.agent.id;
  request.cwd = run.cwd;
  request.command = run.command;
  request.vitest = vitest_location(launch, vitest);
  request.vitest_version = version_text(version);
  request.priority = static_cast<int>(run.priority);
  request.queued_at_ms = queued_at_ms;
  return request;
}

// The wait's display, and at the wait's start this launch's pending watcher, so the watcher is
// up before the turn comes and the handoff does not wait for its start.
class WaitWithWatcher : public WaitObserver {
 public:
  WaitWithWatcher(WaitDisplay& display, std::function<void()> start_watcher)
      : m_display(display), m_start_watcher(std::move(start_watcher)) {}
  void on_wait_start(const WaitSnapshot& snapshot) override {
    m_display.on_wait_start(snapshot);
    m_start_watcher();
  }
  void on_progress(const WaitSnapshot& snapshot) override { m_display.on_progress(snapshot); }
  void on_admitted(double waited_s) override { m_display.on_admitted(waited_s); }

 private:
  WaitDisplay& m_display;
  std::function<void()> m_start_watcher;
};

// Starts this run's watcher, or tells the pending one: sampling from now on (admitted), or
// recording how a wait ended that never got a slot. None with VQ_WATCH=0 or a queue that
// failed open.
void start_watching(const Config& config, const Result<Acquired>& acquired,
                    watch::WatchRequest request, PendingWatcher* pending = nullptr) {
  if (!config.watch || !acquired) return;
  const std::int64_t now_ms = unix_now_ms();
  switch (acquired->outcome) {
    case Acquired::Outcome::admitted:
      request.mode = watch::WatchRequest::Mode::watch;
      request.slot = acquired->slot;
      request.admitted_at_ms = now_ms;
      break;
    case Acquired::Outcome::timed_out:
      request.mode = watch::WatchRequest::Mode::record;
      request.end = "timed_out";
      request.ended_at_ms = now_ms;
      break;
    case Acquired::Outcome::interrupted:
      request.mode = watch::WatchRequest::Mode::record;
      request.end = "interrupted";
      request.end_code = acquired->signal;
      request.ended_at_ms = now_ms;
      break;
  }
  if (pending != nullptr && pending->started()) {
    pending->tell(std::move(request));
  } else {
    start_watcher(watcher_program(config), request);
  }
}

// Whatever ended the wait, settled: 0 when vitest is to be exec'd now, else the shim's status.
int settle_wait(const Config& config, const std::string& queue_path, QueueStore& queue,
                const Result<Acquired>& acquired, WaitDisplay& display, WaitSignals& signals) {
  if (!acquired) {
    display.finish();
    return queue_unusable(config, queue_path, acquired.error());
  }
  switch (acquired->outcome) {
    case Acquired::Outcome::timed_out:
      display.finish();
      // Group mode keeps no log file, so there is none to point at.
      say(gave_up_line(acquired.value(), queue.dir().group() ? "" : queue.dir().file(k_log_file)));
      return k_exit_timeout;
    case Acquired::Outcome::interrupted:
      display.finish();
      signals.restore();
      return die_by(acquired->signal);
    case Acquired::Outcome::admitted:
      break;
  }
  // Admitted: the slot is the lock on the lock file, which must survive exec.
  if (auto kept = queue.hand_over_to_exec(); !kept) {
    if (int status = queue_unusable(config, queue_path, kept.error()); status != 0) return status;
  }
  return 0;
}

// No cluster queue for this run: one warning and this machine's limit only, or refuse.
int cluster_unreachable(const Config& config, QueueStore& queue, const std::string& agent,
                        const std::string& reason) {
  QueueEvent event(EventType::cluster_unreachable, agent);
  event.detail = reason + (config.fail_closed ? "; refused (VQ_FAIL_CLOSED=1)"
                                              : "; running with this machine's limit only");
  queue.record(event);
  if (config.fail_closed) {
    say("vq: error: the cluster queue (VQ_CLUSTER) is unreachable: " + reason +
        " — VQ_FAIL_CLOSED=1 refuses to run vitest without it; start or reach the Redis server,"
        " or unset VQ_CLUSTER");
    return k_exit_unavailable;
  }
  say("vq: warning: the cluster queue (VQ_CLUSTER) is unreachable: " + reason +
      " — running vitest with this machine's limit only; check VQ_CLUSTER and the Redis server");
  return 0;
}

// What is left of VQ_QUEUE_TIMEOUT after the local wait (0 still waits forever).
double cluster_timeout_s(const Config& config, const Acquired& local) {
  if (config.timeout_s <= 0) return 0;
  return std::max(config.timeout_s - local.waited_s, 0.001);
}

// The cluster wait ended without a permit (timeout, signal): as a local wait would end.
int cluster_wait_ended(const Config& config, const ClusterWait& wait, Acquired local,
                       const watch::WatchRequest& request, WaitSignals& signals) {
  local.waited_s += wait.waited_s;
  local.outcome = wait.outcome == ClusterWait::Outcome::timed_out ? Acquired::Outcome::timed_out
                                                                  : Acquired::Outcome::interrupted;
  local.signal = wait.signal;
  start_watching(config, local, request);
  if (wait.outcome == ClusterWait::Outcome::timed_out) {
    say(cluster_gave_up_line(config.cluster->queue, wait));
    return k_exit_timeout;
  }
  signals.restore();
  return die_by(wait.signal);
}

// Step: the cluster permit, with the local slot held. vq-watch waits in the cluster queue and
// reports on a pipe; it stays on as the permit's lease keeper. 0: exec vitest now (admitted,
// or local-only after the one warning); else the shim's status.
int take_cluster_permit(const Config& config, QueueStore& queue, watch::WatchRequest request,
                        const Acquired& local, WaitDisplay& display, WaitSignals& signals,
                        VitestExec& vitest) {
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    return cluster_unreachable(config, queue, request.agent,
                               "the shim could not make a pipe for vq-watch");
  }
  request.mode = watch::WatchRequest::Mode::watch;
  request.slot = local.slot;
  request.record = config.watch;
  const std::string program = watcher_program(config);
  const bool started = start_watcher(program, request, report[1]);
  ::close(report[1]);
  if (!started) {
    ::close(report[0]);
    return cluster_unreachable(config, queue, request.agent,
                               "its watcher " + program + " could not be started");
  }
  ClusterWaitOptions options{config.cluster->queue, cluster_timeout_s(config, local), signals.fd()};
  ClusterWait wait = wait_for_cluster_turn(report[0], options, display);
  ::close(report[0]);
  switch (wait.outcome) {
    case ClusterWait::Outcome::admitted:
      vitest.environment.set("VQ_CLUSTER_FENCE", std::to_string(wait.token));
      return 0;
    case ClusterWait::Outcome::unreachable:
      return cluster_unreachable(config, queue, request.agent, wait.reason);
    case ClusterWait::Outcome::timed_out:
    case ClusterWait::Outcome::interrupted:
      break;
  }
  return cluster_wait_ended(config, wait, local, request, signals);
}

// Waits for a slot (or fails open) and becomes vitest; returns only with the shim's own status.
int run_queued(const Config& config, const EnvLookup& env, const Launch& launch, VitestExec& vitest,
               const std::optional<VitestVersion>& version) {
  const std::int64_t queued_at_ms = unix_now_ms();
  WaitSignals signals;
  std::string queue_path = queue_dir_path(config);
  auto queue =
      QueueStore::open_for_launch(queue_path, seed_limit(config), config.log_level, config.group);
  if (!queue) {
    if (int status = queue_unusable(config, queue_path, queue.error()); status != 0) return status;
    signals.restore();
    exec_vitest(vitest);
  }
  const std::string vitest_at = vitest_location(launch, vitest);
  // Before the estimate is first read: a rewrite in between is picked up while waiting.
  EstimateRefresh refresh(queue_path, config.memory_estimate ? "" : project_of_vitest(vitest_at));
  RunInfo run{self_identity(),
              resolve_agent(config, env),
              launch.cwd,
              launch.command_line,
              config.priority,
              static_cast<std::uint64_t>(config.priority_max_age_s * 1000),
              launch_estimate(config, queue_path, vitest_at)};
  WaitDisplay display(STDERR_FILENO, ::isatty(STDERR_FILENO) == 1);
  AcquireOptions options{config.timeout_s, config.per_agent, signals.fd()};
  ProcTreeMemory holder_memory;
  RoomCheck room(memory_settings(config), holder_memory);
  if (config.memory_admission) options.room = &room;
  if (!config.memory_estimate) options.learned_estimate = [&refresh] { return refresh.learned(); };
  auto watch_request = watch_request_for(queue_path, run, launch, vitest, version, queued_at_ms);
  PendingWatcher pending;
  WaitWithWatcher observer(display, [&] {
    if (config.watch && !config.cluster) pending.start(watcher_program(config), watch_request);
  });
  auto acquired = acquire(*queue, run, options, observer);
  if (acquired) run.estimate_bytes = acquired->estimate_bytes;
  // Before settle_wait hands the slot's lock over to the exec: the grant needs one more pass.
  if (acquired && acquired->outcome == Acquired::Outcome::admitted && config.single_worker &&
      config.workers_auto) {
    force_workers(version, grant_auto_workers(*queue, run, options.room), vitest);
  }
  if (acquired && acquired->outcome != Acquired::Outcome::admitted) {
    start_watching(config, acquired, watch_request, &pending);
  }
  if (int status = settle_wait(config, queue_path, *queue, acquired, display, signals);
      status != 0) {
    return status;
  }
  const bool admitted = acquired && acquired->outcome == Acquired::Outcome::admitted;
  // Under a cluster the run's watcher starts here, before exec: it takes the cluster permit.
  if (admitted && config.cluster) {
    watch_request.admitted_at_ms = unix_now_ms();
    if (int status =
            take_cluster_permit(config, *queue, watch_request, *acquired, display, signals, vitest);
        status != 0) {
      return status;
    }
  }
  if (admitted) vitest.environment.set("VQ_HOLDER", to_marker(run.self));
  // The queue is left open on purpose: its descriptors, the log's included, are close-on-exec
  // (the lock descriptor was released above; a test checks what vitest inherits), the log is
  // flushed line by line, and exec drops the table mapping with the rest of this process's
  // memory, where unmapping it first costs a TLB flush on every CPU this process ran on.
  signals.restore();
  if (admitted && !config.cluster) {
    start_watching(config, acquired, std::move(watch_request), &pending);
  }
  exec_vitest(vitest);
}

// `fallback` is set once the real vitest is known, so an unexpected failure later can still
// run it (fail open).
int run_shim_unguarded(int argc, char** argv, std::string& fallback) {
  fill_closed_stdio();
  // Started by a setuid or setgid program: the environment is the invoking user's, so no VQ_*
  // setting counts (VQ_REAL_VITEST, VQ_REDIRECT would pick what runs with these privileges)
  // and the run is not queued (the queue directory is the user's, or root's).
  const bool privileged = runs_privileged();
  EnvLookup env = privileged ? without_user_settings(process_env()) : process_env();
  auto config = load_config(env);
  if (!config) {
    say("vq: error: " + config.error().message + " — fix or unset it");
    return k_exit_config;
  }
  // Every exec from here on is this launch's own: the preload must let it through.
  ::setenv("VQ_ROUTED", std::to_string(::getpid()).c_str(), 1);
  auto redirect = take_preload_redirect(env, argc);
  if (!redirect) {
    say("vq: error: " + redirect.error().message);
    return k_exit_cannot_run;
  }
  const Launch launch = describe_launch(argc, argv, *redirect);
  int depth = shim_depth(env);
  if (depth >= k_max_shim_depth) {
    say("vq: error: vitest went through the vq shim " + std::to_string(depth) +
        " times in one chain: the real vitest leads back to the shim; set VQ_REAL_VITEST to the"
        " real vitest");
    return k_exit_cannot_run;
  }
  auto located = locate_real_vitest(*config, env, launch, *redirect);
  if (const Stop* stop = std::get_if<Stop>(&located)) return stop->status;
  VitestExec vitest = plan_exec(std::get<LocatedVitest>(located), launch, depth);
  fallback = vitest.path;

  if (privileged) {
    say("vq: warning: started with raised privileges (by a setuid or setgid program): VQ_*"
        " settings are ignored and vitest runs unqueued — run vitest without raised privileges"
        " to queue it");
  }
  if (config->disable || privileged || inside_holder_tree(*config)) exec_vitest(vitest);
  auto version = detect_vitest_version(vitest_location(launch, vitest));
  if (is_informational(launch.args, version)) exec_vitest(vitest);
  // VQ_WORKERS=auto starts at one (what a run that is never admitted gets); admission decides.
  if (config->single_worker)
    force_workers(version, config->workers_auto ? 1 : config->workers, vitest);
  return run_queued(*config, env, launch, vitest, version);
}

}  // namespace

int run_shim(int argc, char** argv) {
  std::string fallback;
  try {
    return run_shim_unguarded(argc, argv, fallback);
  } catch (const std::exception& e) {
    if (fallback.empty()) {
      say(std::string("vq: error: unexpected failure: ") + e.what());
      return k_exit_cannot_run;
    }
    // Fail open. Any lock taken is on a close-on-exec descriptor, so vitest does not keep it.
    say(std::string("vq: warning: unexpected failure: ") + e.what() +
        " — running vitest without the queue");
    ::execv(fallback.c_str(), argv);
    return k_exit_cannot_run;
  }
}

}  // namespace vq
