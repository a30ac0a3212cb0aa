// libvq-preload.so: the exec family, hooked. Each hook asks the logic in launch_match /
// redirect whether this exec is a vitest launch; if so it execs (or spawns) the shim instead,
// with the real target in VQ_REDIRECT; otherwise, or if anything is in doubt, it calls the real
// function unchanged. No heap, no locks, no stdio, no C++ runtime: a hook may run in a vfork
// child that shares its parent's memory. Only the hooked symbols are exported (hooks.map).
#include <alloca.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>
#include <iterator>

#include "bounded_text.h"
#include "launch_match.h"
#include "path_search.h"
#include "redirect.h"

extern char** environ;

namespace {

using namespace vq::preload;

using execve_fn = int (*)(const char*, char* const[], char* const[]);
using execv_fn = int (*)(const char*, char* const[]);
using execvpe_fn = int (*)(const char*, char* const[], char* const[]);
using spawn_fn = int (*)(pid_t*, const char*, const posix_spawn_file_actions_t*,
                         const posix_spawnattr_t*, char* const[], char* const[]);

struct RealFunctions {
  execve_fn execve = nullptr;
  execv_fn execvp = nullptr;
  execvpe_fn execvpe = nullptr;
  spawn_fn posix_spawn = nullptr;
  spawn_fn posix_spawnp = nullptr;
};

RealFunctions g_real;

// The shim beside this library as LD_PRELOAD named it when the process started, else beside the
// file the loader mapped (a library listed in /etc/ld.so.preload, or an installation moved or
// packaged under another prefix), else the shim of the installation it was built for. Static,
// so no hook needs a path buffer for it; VQ_SHIM in the exec's environment overrides it.
char g_shim[k_path_capacity] = VQ_DEFAULT_SHIM;

// More entries than this and the environment copy (on the stack) would be too big: the launch
// then runs unchanged, unqueued.
constexpr std::size_t k_max_environment = 4096;

void resolve_real_functions() {
  g_real.execve = reinterpret_cast<execve_fn>(dlsym(RTLD_NEXT, "execve"));
  g_real.execvp = reinterpret_cast<execv_fn>(dlsym(RTLD_NEXT, "execvp"));
  g_real.execvpe = reinterpret_cast<execvpe_fn>(dlsym(RTLD_NEXT, "execvpe"));
  g_real.posix_spawn = reinterpret_cast<spawn_fn>(dlsym(RTLD_NEXT, "posix_spawn"));
  g_real.posix_spawnp = reinterpret_cast<spawn_fn>(dlsym(RTLD_NEXT, "posix_spawnp"));
}

// RTLD_NEXT, not a direct reference to libc's versioned symbols, so another preloaded
// interposer (fakeroot, Bear) after this one still sees the calls. The constructor runs in
// every process, so it does nothing else that costs: no system calls.
__attribute__((constructor)) void initialise() {
  int saved_errno = errno;
  resolve_real_functions();
  char shim[k_path_capacity];
  Dl_info self{};
  // dladdr only when LD_PRELOAD does not name the library: it walks the loader's list of
  // objects, which the common case need not pay for in every process.
  if (shim_from_preload_list(env_value(environ, "LD_PRELOAD"), shim, sizeof shim) ||
      (dladdr(reinterpret_cast<void*>(&initialise), &self) != 0 &&
       shim_from_preload_list(self.dli_fname, shim, sizeof shim))) {
    std::memcpy(g_shim, shim, std::strlen(shim) + 1);
  }
  errno = saved_errno;
}

// Only if another library's constructor execs before ours ran.
const RealFunctions& real() {
  if (g_real.execve == nullptr) resolve_real_functions();
  return g_real;
}

const char* shim_for(char* const envp[]) {
  const char* chosen = env_value(envp, "VQ_SHIM");
  return chosen != nullptr && chosen[0] != '\0' ? chosen : g_shim;
}

const char* describe(Verdict verdict) {
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
      return "via the shim ";
    case Verdict::pass:
      break;
  }
  return "";
}

// One write of the pieces (writev: no line buffer on the stack).
void debug_report(const char* function, const char* program, const Decision& decision,
                  const char* shim, char* const envp[]) {
  if (!is_true(env_value(envp, "VQ_DEBUG"))) return;
  const char* pieces[] = {"vq-preload: ",
                          function,
                          " ",
                          program,
                          ": vitest launch (",
                          decision.match.why,
                          "), ",
                          describe(decision.verdict),
                          decision.verdict == Verdict::redirect ? shim : "",
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

// errno as the caller left it: the checks below make system calls that may change it.
class SavedErrno {
 public:
  SavedErrno() : m_value(errno) {}
  void restore() const { errno = m_value; }

 private:
  int m_value;
};

// "VQ_REDIRECT=<index>:" fits in this much; the program's path is written right after it, so
// one buffer holds both the searched path and the environment entry.
constexpr std::size_t k_entry_prefix = 32;

// Fills `entry` (k_entry_prefix + k_path_capacity bytes) and decides. On a redirect, returns the
// shim and leaves in `entry_start` where the "VQ_REDIRECT=…" string begins.
const char* plan_redirect(const char* function, const char* file, bool search, char* const argv[],
                          char* const envp[], char* entry, const char*& entry_start) {
  char* program = entry + k_entry_prefix;
  if (search) {
    if (!search_path(file, env_value(environ, "PATH"), program, k_path_capacity)) return nullptr;
  } else {
    std::size_t length = std::strlen(file);
    if (length >= k_path_capacity) return nullptr;
    std::memcpy(program, file, length + 1);
  }
  const char* shim = shim_for(envp);
  Decision decision = decide(program, argv, envp, ::getpid(), shim);
  if (decision.verdict == Verdict::pass) return nullptr;
  // A PATH candidate that does not exist is not worth a line; one that exists but will not run is.
  if (decision.verdict != Verdict::missing || ::access(program, F_OK) == 0) {
    debug_report(function, program, decision, shim, envp);
  }
  if (decision.verdict != Verdict::redirect || count_entries(envp) > k_max_environment) {
    return nullptr;
  }
  char prefix[k_entry_prefix];
  if (!format_redirect(decision.match.first_vitest_arg, "", prefix, sizeof prefix)) return nullptr;
  std::size_t prefix_length = std::strlen(prefix);
  char* start = program - prefix_length;
  std::memcpy(start, prefix, prefix_length);
  entry_start = start;
  return shim;
}

// A launch candidate's way through the hooks, out of line: every other exec runs its hook in a
// few bytes of stack (hooks may run on a small signal stack or thread stack, where glibc's own
// exec needs almost none). `file` is searched on PATH when `search` is set. Returns when the
// original should run: not a launch to redirect, or the shim could not be executed.
__attribute__((noinline, cold)) void exec_shim_for_launch(const char* function, const char* file,
                                                          bool search, char* const argv[],
                                                          char* const envp[]) {
  SavedErrno saved;
  char entry[k_entry_prefix + k_path_capacity];
  const char* entry_start = nullptr;
  const char* shim = plan_redirect(function, file, search, argv, envp, entry, entry_start);
  if (shim != nullptr) {
    std::size_t capacity = count_entries(envp) + 2;
    auto** environment = static_cast<char**>(alloca(capacity * sizeof(char*)));
    if (environment_with(envp, entry_start, environment, capacity)) {
      real().execve(shim, argv, environment);
    }
  }
  saved.restore();
}

// Returns true when the shim was spawned in place of the original (its pid in *pid).
__attribute__((noinline, cold)) bool spawn_shim_for_launch(
    const char* function, const char* file, bool search, pid_t* pid,
    const posix_spawn_file_actions_t* actions, const posix_spawnattr_t* attributes,
    char* const argv[], char* const envp[]) {
  SavedErrno saved;
  char entry[k_entry_prefix + k_path_capacity];
  const char* entry_start = nullptr;
  bool spawned = false;
  const char* shim = plan_redirect(function, file, search, argv, envp, entry, entry_start);
  if (shim != nullptr) {
    std::size_t capacity = count_entries(envp) + 2;
    auto** environment = static_cast<char**>(alloca(capacity * sizeof(char*)));
    spawned = environment_with(envp, entry_start, environment, capacity) &&
              real().posix_spawn(pid, shim, actions, attributes, argv, environment) == 0;
  }
  saved.restore();
  return spawned;
}

// glibc declares the exec functions' file argument nonnull, so the compiler would drop a plain
// NULL test in their definitions here; the empty asm hides what it knows. A NULL file then
// reaches the real function, which fails with EFAULT as it would have.
bool candidate(const char* file) {
  asm("" : "+r"(file));
  return file != nullptr && is_launch_candidate(file);
}

int hooked_execve(const char* function, const char* path, char* const argv[], char* const envp[]) {
  if (candidate(path)) exec_shim_for_launch(function, path, false, argv, envp);
  return real().execve(path, argv, envp);
}

int hooked_execvp(const char* function, const char* file, char* const argv[]) {
  if (candidate(file)) exec_shim_for_launch(function, file, true, argv, environ);
  return real().execvp(file, argv);
}

int hooked_execvpe(const char* file, char* const argv[], char* const envp[]) {
  if (candidate(file)) exec_shim_for_launch("execvpe", file, true, argv, envp);
  return real().execvpe(file, argv, envp);
}

int hooked_spawn(const char* function, bool search, pid_t* pid, const char* file,
                 const posix_spawn_file_actions_t* actions, const posix_spawnattr_t* attributes,
                 char* const argv[], char* const envp[]) {
  if (candidate(file) &&
      spawn_shim_for_launch(function, file, search, pid, actions, attributes, argv, envp)) {
    return 0;
  }
  spawn_fn original = search ? real().posix_spawnp : real().posix_spawn;
  return original(pid, file, actions, attributes, argv, envp);
}

// Arguments after `arg` up to the terminating null pointer, plus one for `arg` itself, as
// glibc's execl counts them; -1 past INT_MAX (glibc then fails with E2BIG).
int count_list(va_list arguments) {
  int count = 1;
  va_list counting;
  va_copy(counting, arguments);
  while (va_arg(counting, const char*) != nullptr) {
    if (count == INT_MAX) {
      count = -1;
      break;
    }
    ++count;
  }
  va_end(counting);
  return count;
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int execve(const char* path, char* const argv[],
                                                  char* const envp[]) {
  return hooked_execve("execve", path, argv, envp);
}

__attribute__((visibility("default"))) int execv(const char* path, char* const argv[]) {
  return hooked_execve("execv", path, argv, environ);
}

__attribute__((visibility("default"))) int execvp(const char* file, char* const argv[]) {
  return hooked_execvp("execvp", file, argv);
}

__attribute__((visibility("default"))) int execvpe(const char* file, char* const argv[],
                                                   char* const envp[]) {
  return hooked_execvpe(file, argv, envp);
}

__attribute__((visibility("default"))) int posix_spawn(pid_t* pid, const char* path,
                                                       const posix_spawn_file_actions_t* actions,
                                                       const posix_spawnattr_t* attributes,
                                                       char* const argv[], char* const envp[]) {
  return hooked_spawn("posix_spawn", false, pid, path, actions, attributes, argv, envp);
}

__attribute__((visibility("default"))) int posix_spawnp(pid_t* pid, const char* file,
                                                        const posix_spawn_file_actions_t* actions,
                                                        const posix_spawnattr_t* attributes,
                                                        char* const argv[], char* const envp[]) {
  return hooked_spawn("posix_spawnp", true, pid, file, actions, attributes, argv, envp);
}

// glibc's execl family builds an argv and calls its internal execve, which no preload can see:
// each is rebuilt here the same way (on the stack) and routed through the hooks above.
#define VQ_COLLECT_LIST(arg, arguments, argv)                                \
  int vq_count = count_list(arguments);                                      \
  if (vq_count < 0) {                                                        \
    va_end(arguments);                                                       \
    errno = E2BIG;                                                           \
    return -1;                                                               \
  }                                                                          \
  char** argv = static_cast<char**>(alloca((vq_count + 1) * sizeof(char*))); \
  argv[0] = const_cast<char*>(arg);                                          \
  for (int vq_i = 1; vq_i <= vq_count; ++vq_i) argv[vq_i] = va_arg(arguments, char*)

__attribute__((visibility("default"))) int execl(const char* path, const char* arg, ...) {
  va_list arguments;
  va_start(arguments, arg);
  VQ_COLLECT_LIST(arg, arguments, argv);
  va_end(arguments);
  return hooked_execve("execl", path, argv, environ);
}

__attribute__((visibility("default"))) int execlp(const char* file, const char* arg, ...) {
  va_list arguments;
  va_start(arguments, arg);
  VQ_COLLECT_LIST(arg, arguments, argv);
  va_end(arguments);
  return hooked_execvp("execlp", file, argv);
}

__attribute__((visibility("default"))) int execle(const char* path, const char* arg, ...) {
  va_list arguments;
  va_start(arguments, arg);
  VQ_COLLECT_LIST(arg, arguments, argv);
  // After the terminating null pointer (already read into argv[vq_count]) comes envp.
  char* const* envp = va_arg(arguments, char* const*);
  va_end(arguments);
  return hooked_execve("execle", path, argv, envp);
}

}  // extern "C"
