#include "launch_routing.h"

#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>
#include <iterator>

#include "launch_room.h"
#include "path_search.h"
#include "redirect.h"

namespace vq::preload {
namespace {

// One hooked call as the planning sees it. `file` is searched on PATH when `search` is set.
struct Call {
  const char* function;
  const char* file;
  bool search;
  char* const* argv;
  char* const* envp;
};

// errno as the caller left it: the checks below make system calls that may change it.
class SavedErrno {
 public:
  SavedErrno() : m_value(errno) {}
  ~SavedErrno() { errno = m_value; }
  SavedErrno(const SavedErrno&) = delete;
  SavedErrno& operator=(const SavedErrno&) = delete;

 private:
  int m_value;
};

const char* shim_for(const Routing& routing, char* const envp[]) {
  const char* chosen = env_value(envp, "VQ_SHIM");
  return chosen != nullptr && chosen[0] != '\0' ? chosen : routing.installed_shim;
}

const char* describe(Verdict verdict, bool redirected) {
  switch (verdict) {
    case Verdict::routed:
      return "already routed through vq (VQ_ROUTED names this process)";
    case Verdict::disabled:
      return "VQ_DISABLE is set: unchanged";
    case Verdict::missing:
      return "the kernel would not run the target: unchanged";
    case Verdict::no_shim:
      return "shim not executable: unchanged, unqueued";
    case Verdict::redirect:
      return redirected ? "via the shim " : "its environment does not fit: unchanged, unqueued";
    case Verdict::pass:
      break;
  }
  return "";
}

// One write of the pieces (writev: no line buffer).
void debug_report(const Call& call, const char* program, const Decision& decision, bool redirected,
                  const char* shim) {
  if (!is_true(env_value(call.envp, "VQ_DEBUG"))) return;
  const char* pieces[] = {"vq-preload: ",
                          call.function,
                          " ",
                          program,
                          ": vitest launch (",
                          decision.match.why,
                          "), ",
                          describe(decision.verdict, redirected),
                          redirected ? shim : "",
                          "\n"};
  iovec vector[std::size(pieces)];
  for (std::size_t i = 0; i < std::size(pieces); ++i) {
    vector[i].iov_base = const_cast<char*>(pieces[i]);
    vector[i].iov_len = std::strlen(pieces[i]);
  }
  ssize_t ignored = ::writev(STDERR_FILENO, vector, static_cast<int>(std::size(pieces)));
  (void)ignored;
}

std::size_t count_entries(char* const envp[]) {
  std::size_t count = 0;
  if (envp != nullptr) {
    while (envp[count] != nullptr) ++count;
  }
  return count;
}

// Writes "VQ_REDIRECT=<index>:" in front of the program's path and the shim's environment into
// the room. False when either does not fit.
bool build_environment(const Decision& decision, char* const envp[], LaunchRoom& room) {
  PlanBuffers& buffers = room.buffers();
  char prefix[k_entry_prefix];
  if (!format_redirect(decision.match.first_vitest_arg, "", prefix, sizeof prefix)) return false;
  std::size_t prefix_length = std::strlen(prefix);
  char* start = buffers.program() - prefix_length;
  std::memcpy(start, prefix, prefix_length);
  return environment_with(envp, start, room.environment(), room.environment_capacity());
}

// The shim to run in place of the call, with the room's environment, or nullptr: run the
// original (not a launch, or one vq leaves alone).
const char* plan_redirect(const Routing& routing, const Call& call, LaunchRoom& room) {
  char* program = room.buffers().program();
  if (call.search) {
    const char* path = env_value(routing.process_environment, "PATH");
    if (!search_path(call.file, path, program, k_path_capacity)) return nullptr;
  } else {
    std::size_t length = std::strlen(call.file);
    if (length >= k_path_capacity) return nullptr;
    std::memcpy(program, call.file, length + 1);
  }
  const char* shim = shim_for(routing, call.envp);
  Decision decision = decide(program, call.argv, call.envp, ::getpid(), shim, room.buffers().match);
  if (decision.verdict == Verdict::pass) return nullptr;
  bool redirected =
      decision.verdict == Verdict::redirect && build_environment(decision, call.envp, room);
  // A PATH candidate that does not exist is not worth a line; one that exists but will not run is.
  if (decision.verdict != Verdict::missing || ::access(program, F_OK) == 0) {
    debug_report(call, program, decision, redirected, shim);
  }
  return redirected ? shim : nullptr;
}

// glibc declares the exec functions' file argument nonnull, and the hooks' definitions pass it
// on; the empty asm keeps that promise, should it ever be seen here, from dropping the NULL
// test. A NULL file reaches the real function, which fails with EFAULT as it would have.
bool candidate(const Routing& routing, const char* file) {
  asm("" : "+r"(file));
  return !routing.secure && file != nullptr && is_launch_candidate(file);
}

// A launch candidate's way, out of line: every other exec runs its hook in a few bytes of
// stack. Returns when the original should run: not a launch to redirect, or the shim could not
// be executed.
__attribute__((noinline, cold)) void exec_shim_for_launch(const Routing& routing,
                                                          const Call& call) {
  SavedErrno saved;
  LaunchRoom room(count_entries(call.envp));
  if (!room.mapped()) return;
  if (const char* shim = plan_redirect(routing, call, room); shim != nullptr) {
    routing.real->execve(shim, call.argv, room.environment());
  }
}

// Returns true when the shim was spawned in place of the original (its pid in *pid).
__attribute__((noinline, cold)) bool spawn_shim_for_launch(
    const Routing& routing, const Call& call, pid_t* pid, const posix_spawn_file_actions_t* actions,
    const posix_spawnattr_t* attributes) {
  SavedErrno saved;
  LaunchRoom room(count_entries(call.envp));
  if (!room.mapped()) return false;
  const char* shim = plan_redirect(routing, call, room);
  return shim != nullptr && routing.real->posix_spawn(pid, shim, actions, attributes, call.argv,
                                                      room.environment()) == 0;
}

}  // namespace

int route_execve(const Routing& routing, const char* function, const char* path, char* const argv[],
                 char* const envp[]) {
  if (candidate(routing, path)) exec_shim_for_launch(routing, {function, path, false, argv, envp});
  return routing.real->execve(path, argv, envp);
}

int route_execvp(const Routing& routing, const char* function, const char* file,
                 char* const argv[]) {
  if (candidate(routing, file)) {
    exec_shim_for_launch(routing, {function, file, true, argv, routing.process_environment});
  }
  return routing.real->execvp(file, argv);
}

int route_execvpe(const Routing& routing, const char* file, char* const argv[],
                  char* const envp[]) {
  if (candidate(routing, file)) exec_shim_for_launch(routing, {"execvpe", file, true, argv, envp});
  return routing.real->execvpe(file, argv, envp);
}

int route_spawn(const Routing& routing, const char* function, bool search, pid_t* pid,
                const char* file, const posix_spawn_file_actions_t* actions,
                const posix_spawnattr_t* attributes, char* const argv[], char* const envp[]) {
  if (candidate(routing, file) &&
      spawn_shim_for_launch(routing, {function, file, search, argv, envp}, pid, actions,
                            attributes)) {
    return 0;
  }
  ExecFunctions::spawn_fn original =
      search ? routing.real->posix_spawnp : routing.real->posix_spawn;
  return original(pid, file, actions, attributes, argv, envp);
}

}  // namespace vq::preload
