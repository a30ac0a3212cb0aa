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
#include <unistd.h>

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

// More entries than this and the copy would not fit the stack comfortably: pass through.
constexpr std::size_t k_max_environment = 16384;

void resolve_real_functions() {
  g_real.execve = reinterpret_cast<execve_fn>(dlsym(RTLD_NEXT, "execve"));
  g_real.execvp = reinterpret_cast<execv_fn>(dlsym(RTLD_NEXT, "execvp"));
  g_real.execvpe = reinterpret_cast<execvpe_fn>(dlsym(RTLD_NEXT, "execvpe"));
  g_real.posix_spawn = reinterpret_cast<spawn_fn>(dlsym(RTLD_NEXT, "posix_spawn"));
  g_real.posix_spawnp = reinterpret_cast<spawn_fn>(dlsym(RTLD_NEXT, "posix_spawnp"));
}

// RTLD_NEXT, not a direct reference to libc's versioned symbols, so another preloaded
// interposer (fakeroot, Bear) after this one still sees the calls. Everything else the
// constructor could do is left to the rare vitest launch: it runs in every process.
__attribute__((constructor)) void initialise() {
  int saved_errno = errno;
  resolve_real_functions();
  errno = saved_errno;
}

// Only if another library's constructor execs before ours ran.
const RealFunctions& real() {
  if (g_real.execve == nullptr) resolve_real_functions();
  return g_real;
}

// VQ_SHIM if set; else the shim beside this library as LD_PRELOAD names it; else the shim of
// the installation this library was built for (a library listed in /etc/ld.so.preload).
const char* shim_for(char* const envp[], char (&buffer)[k_path_capacity]) {
  const char* chosen = env_value(envp, "VQ_SHIM");
  if (chosen != nullptr && chosen[0] != '\0') return chosen;
  if (shim_from_preload_list(env_value(envp, "LD_PRELOAD"), buffer, sizeof buffer)) return buffer;
  if (shim_from_preload_list(env_value(environ, "LD_PRELOAD"), buffer, sizeof buffer)) {
    return buffer;
  }
  return VQ_DEFAULT_SHIM;
}

void write_all(const char* text) {
  std::size_t left = std::strlen(text);
  while (left > 0) {
    ssize_t written = ::write(STDERR_FILENO, text, left);
    if (written <= 0) return;
    text += written;
    left -= static_cast<std::size_t>(written);
  }
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
      return "via the shim";
    case Verdict::pass:
      break;
  }
  return "";
}

void debug_report(const char* function, const char* program, const Decision& decision,
                  const char* shim, char* const envp[]) {
  const char* debug = env_value(envp, "VQ_DEBUG");
  if (!is_true(debug)) return;
  char line[3 * k_path_capacity];
  line[0] = '\0';
  bool fits = append(line, sizeof line, "vq-preload: ") && append(line, sizeof line, function) &&
              append(line, sizeof line, " ") && append(line, sizeof line, program) &&
              append(line, sizeof line, ": vitest launch (") &&
              append(line, sizeof line, decision.match.why) && append(line, sizeof line, "), ") &&
              append(line, sizeof line, describe(decision.verdict));
  if (fits && decision.verdict == Verdict::redirect) {
    fits = append(line, sizeof line, " ") && append(line, sizeof line, shim);
  }
  if (fits && append(line, sizeof line, "\n")) write_all(line);
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

// Whether `program` is a vitest launch to send through the shim; if so `entry` holds the
// VQ_REDIRECT entry and `shim` the shim to run.
bool plan_redirect(const char* function, const char* program, char* const argv[],
                   char* const envp[], const char*& shim, char (&shim_buffer)[k_path_capacity],
                   char (&entry)[k_path_capacity + 32]) {
  if (program == nullptr || !is_launch_candidate(program)) return false;
  shim = shim_for(envp, shim_buffer);
  Decision decision = decide(program, argv, envp, ::getpid(), shim);
  if (decision.verdict == Verdict::pass) return false;
  // A PATH candidate that does not exist is not worth a line; one that exists but will not run is.
  if (decision.verdict != Verdict::missing || ::access(program, F_OK) == 0) {
    debug_report(function, program, decision, shim, envp);
  }
  return decision.verdict == Verdict::redirect && count_entries(envp) <= k_max_environment &&
         format_redirect(decision.match.first_vitest_arg, program, entry, sizeof entry);
}

// Execs the shim in place of `program` when that is a vitest launch to redirect. Returns when
// it is not, or when the shim could not be executed (the caller then runs the original).
void exec_shim_for_launch(const char* function, const char* program, char* const argv[],
                          char* const envp[]) {
  const char* shim = nullptr;
  char shim_buffer[k_path_capacity];
  char entry[k_path_capacity + 32];
  if (!plan_redirect(function, program, argv, envp, shim, shim_buffer, entry)) return;
  std::size_t capacity = count_entries(envp) + 2;
  auto** environment = static_cast<char**>(alloca(capacity * sizeof(char*)));
  if (!environment_with(envp, entry, environment, capacity)) return;
  real().execve(shim, argv, environment);
}

// posix_spawn's counterpart: returns true with `error` set when the shim was spawned in place
// of `program`; false when the caller should spawn the original.
bool spawn_shim_for_launch(const char* function, const char* program, pid_t* pid,
                           const posix_spawn_file_actions_t* actions,
                           const posix_spawnattr_t* attributes, char* const argv[],
                           char* const envp[]) {
  const char* shim = nullptr;
  char shim_buffer[k_path_capacity];
  char entry[k_path_capacity + 32];
  if (!plan_redirect(function, program, argv, envp, shim, shim_buffer, entry)) return false;
  std::size_t capacity = count_entries(envp) + 2;
  auto** environment = static_cast<char**>(alloca(capacity * sizeof(char*)));
  if (!environment_with(envp, entry, environment, capacity)) return false;
  return real().posix_spawn(pid, shim, actions, attributes, argv, environment) == 0;
}

// For the p variants: the file glibc would run, found from the caller's PATH as glibc does.
const char* searched(const char* file, char* buffer) {
  if (file == nullptr || !is_launch_candidate(file)) return nullptr;
  if (!search_path(file, env_value(environ, "PATH"), buffer, k_path_capacity)) return nullptr;
  return buffer;
}

int hooked_execve(const char* function, const char* path, char* const argv[],
                  char* const envp[]) {
  SavedErrno saved;
  exec_shim_for_launch(function, path, argv, envp);
  saved.restore();
  return real().execve(path, argv, envp);
}

int hooked_execvp(const char* function, const char* file, char* const argv[]) {
  SavedErrno saved;
  char found[k_path_capacity];
  const char* program = searched(file, found);
  exec_shim_for_launch(function, program, argv, environ);
  saved.restore();
  return real().execvp(file, argv);
}

int hooked_execvpe(const char* file, char* const argv[], char* const envp[]) {
  SavedErrno saved;
  char found[k_path_capacity];
  const char* program = searched(file, found);
  exec_shim_for_launch("execvpe", program, argv, envp);
  saved.restore();
  return real().execvpe(file, argv, envp);
}

int hooked_spawn(const char* function, bool search, pid_t* pid, const char* file,
                 const posix_spawn_file_actions_t* actions, const posix_spawnattr_t* attributes,
                 char* const argv[], char* const envp[]) {
  SavedErrno saved;
  char found[k_path_capacity];
  const char* program = search ? searched(file, found) : file;
  bool spawned = spawn_shim_for_launch(function, program, pid, actions, attributes, argv, envp);
  saved.restore();
  if (spawned) return 0;
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
