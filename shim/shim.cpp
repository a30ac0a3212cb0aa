#include "shim.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "agent.h"
#include "config.h"
#include "exit_status.h"
#include "preload_redirect.h"
#include "process_identity.h"
#include "queue_store.h"
#include "real_vitest.h"
#include "single_worker.h"
#include "wait_display.h"
#include "wait_session.h"

extern char** environ;

namespace vq {
namespace {

// A real vitest that leads back to the shim would otherwise launch itself without end.
constexpr int k_max_shim_depth = 8;

void say(const std::string& line) {
  std::string text = line + "\n";
  ssize_t ignored = ::write(STDERR_FILENO, text.data(), text.size());
  (void)ignored;
}

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

// The environment for the real vitest: ours, with `changes` set (replacing existing values).
class ExecEnvironment {
 public:
  void set(const std::string& name, const std::string& value) {
    m_changes.emplace_back(name, value);
  }

  std::vector<std::string> build() const {
    std::vector<std::string> entries;
    for (char** entry = environ; *entry != nullptr; ++entry) {
      std::string_view text(*entry);
      bool replaced = false;
      for (const auto& [name, value] : m_changes) {
        if (text.size() > name.size() && text.starts_with(name) && text[name.size()] == '=') {
          replaced = true;
        }
      }
      if (!replaced) entries.emplace_back(text);
    }
    for (const auto& [name, value] : m_changes) entries.push_back(name + "=" + value);
    return entries;
  }

 private:
  std::vector<std::pair<std::string, std::string>> m_changes;
};

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

// `launcher` is argv up to vitest's own arguments: the shim's argv[0], or for a launch the
// preload redirected, the launcher's (node, its options and the script).
[[noreturn]] void exec_real(const std::string& path, const std::vector<char*>& launcher,
                            const std::vector<std::string>& args,
                            const ExecEnvironment& environment) {
  std::vector<std::string> env_entries = environment.build();
  std::vector<char*> argv = launcher;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& entry : env_entries) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);
  ::execve(path.c_str(), argv.data(), envp.data());
  int err = errno;
  say("vq: error: cannot run the real vitest " + path + ": " + std::strerror(err) +
      " — check that it is executable, or set VQ_REAL_VITEST");
  std::_Exit(err == ENOENT ? k_exit_not_found : k_exit_cannot_run);
}

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
    log.warn("-", config.fail_closed ? "refused" : "failed-open", error.message);
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
  std::optional<PreloadRedirect> redirect;
  if (const char* value = env("VQ_REDIRECT"); value != nullptr) {
    auto parsed = parse_preload_redirect(value, argc);
    ::unsetenv("VQ_REDIRECT");
    if (!parsed) {
      say("vq: error: " + parsed.error().message);
      return k_exit_cannot_run;
    }
    redirect = *parsed;
  }
  int first_arg = redirect ? redirect->first_vitest_arg : 1;
  std::vector<std::string> args(argv + std::min(first_arg, argc), argv + argc);
  std::vector<char*> launcher(argv, argv + std::min(first_arg, argc));
  if (launcher.empty()) launcher.push_back(const_cast<char*>("vitest"));
  std::string cwd = current_directory();

  int depth = shim_depth(env);
  if (depth >= k_max_shim_depth) {
    say("vq: error: vitest went through the vq shim " + std::to_string(depth) +
        " times in one chain: the real vitest leads back to the shim; set VQ_REAL_VITEST to the"
        " real vitest");
    return k_exit_cannot_run;
  }

  RealVitestQuery query;
  query.override_path = config->real_vitest;
  query.cwd = cwd;
  const char* path_variable = env("PATH");
  query.path_variable = path_variable != nullptr ? path_variable : "";
  if (auto self = file_identity("/proc/self/exe")) query.self = *self;
  const char* chain = env("VQ_SHIM_CHAIN");
  query.shims_seen = parse_shim_chain(chain != nullptr ? chain : "");
  RealVitest real;
  if (redirect) {
    // The launcher already chose what to run; searching again could pick something else.
    real.outcome = RealVitest::Outcome::found;
    real.path = redirect->target;
  } else {
    real = find_real_vitest(query);
  }
  if (real.outcome == RealVitest::Outcome::not_found) {
    say("vq: error: " + real.reason);
    return k_exit_not_found;
  }
  if (real.outcome == RealVitest::Outcome::not_executable) {
    say("vq: error: " + real.reason + " — make it executable or point VQ_REAL_VITEST elsewhere");
    return k_exit_cannot_run;
  }
  if (real.outcome == RealVitest::Outcome::loop) {
    say("vq: error: refusing to run: " + real.reason);
    return k_exit_cannot_run;
  }

  fallback = real.path;
  ExecEnvironment environment;
  environment.set("VQ_SHIM_DEPTH", std::to_string(depth + 1));
  std::vector<FileIdentity> shims_seen = query.shims_seen;
  if (std::find(shims_seen.begin(), shims_seen.end(), query.self) == shims_seen.end()) {
    shims_seen.push_back(query.self);
  }
  environment.set("VQ_SHIM_CHAIN", format_shim_chain(shims_seen));
  if (privileged) {
    say("vq: warning: started with raised privileges (by a setuid or setgid program): VQ_*"
        " settings are ignored and vitest runs unqueued — run vitest without raised privileges"
        " to queue it");
  }
  if (config->disable || privileged || is_informational(args) || inside_holder_tree(*config)) {
    exec_real(real.path, launcher, args, environment);
  }

  std::vector<std::string> run_args = args;
  if (config->single_worker) {
    for (const auto& [name, value] : single_worker_env()) environment.set(name, value);
    // For node running vitest.mjs the script names the package; else the .bin launcher does.
    std::string vitest = first_arg >= 2 ? argv[first_arg - 1] : real.path;
    run_args = single_worker_args(args, detect_vitest_version(vitest));
  }

  WaitSignals signals;
  std::string queue_path = queue_dir_path(*config);
  auto queue = QueueStore::open(queue_path, config->limit, config->log_level, config->group);
  if (!queue) {
    if (int status = queue_unusable(*config, queue_path, queue.error()); status != 0) return status;
    signals.restore();
    exec_real(real.path, launcher, run_args, environment);
  }

  RunInfo run{self_identity(), resolve_agent(*config, env), cwd, join(argc, argv)};
  WaitDisplay display(STDERR_FILENO, ::isatty(STDERR_FILENO) == 1);
  AcquireOptions options{config->timeout_s, config->per_agent, signals.fd()};
  auto acquired = acquire(*queue, run, options, display);
  if (!acquired) {
    display.finish();
    if (int status = queue_unusable(*config, queue_path, acquired.error()); status != 0) {
      return status;
    }
  } else if (acquired->outcome == Acquired::Outcome::timed_out) {
    display.finish();
    say("vq: gave up after " + std::to_string(static_cast<long>(acquired->waited_s)) +
        "s waiting for a vitest slot; " + std::to_string(acquired->last.holders.size()) + "/" +
        std::to_string(acquired->last.limit) + " busy" +
        (acquired->last.holders.empty()
             ? std::string(acquired->last.paused ? " (queue paused)" : "")
             : ": " + describe_holders(acquired->last.holders, 16)) +
        (acquired->last.note.empty() ? "" : "; " + acquired->last.note) +
        " — raise VQ_QUEUE_TIMEOUT (0 waits forever) or try again later; log: " +
        queue->dir().file(k_log_file));
    return k_exit_timeout;
  } else if (acquired->outcome == Acquired::Outcome::interrupted) {
    display.finish();
    signals.restore();
    return die_by(acquired->signal);
  } else {
    // Admitted: the slot is the lock on the lock file, which must survive exec.
    environment.set("VQ_HOLDER", to_marker(run.self));
    if (auto kept = queue->hand_over_to_exec(); !kept) {
      if (int status = queue_unusable(*config, queue_path, kept.error()); status != 0) {
        return status;
      }
    }
  }
  // The queue is left open on purpose: its descriptors, the log's included, are close-on-exec
  // (the lock descriptor was released above; a test checks what vitest inherits), the log is
  // flushed line by line, and exec drops the table mapping with the rest of this process's
  // memory, where unmapping it first costs a TLB flush on every CPU this process ran on.
  signals.restore();
  exec_real(real.path, launcher, run_args, environment);
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
