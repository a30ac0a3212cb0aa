// libvq-preload.so: the exec family, hooked. Each hook forwards to launch_routing, which asks
// whether this exec is a vitest launch and, if so, execs (or spawns) the shim instead, with the
// real target in VQ_REDIRECT; otherwise, or if anything is in doubt, it calls the real function
// unchanged. This file holds only what must live in the shared library: the extern "C" entry
// points and the constructor that finds the real functions. No heap, no locks, no stdio, no C++
// runtime: a hook may run in a vfork child that shares its parent's memory. Only the hooked
// symbols are exported (hooks.map).
#include <alloca.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <cstring>

#include "exec_functions.h"
#include "launch_routing.h"
#include "redirect.h"

extern char** environ;

namespace {

using namespace vq::preload;

ExecFunctions g_real;

// The shim beside this library as LD_PRELOAD named it when the process started, else beside the
// file the loader mapped (a library listed in /etc/ld.so.preload, or an installation moved or
// packaged under another prefix), else the shim of the installation it was built for. Static,
// so no hook needs a path buffer for it; VQ_SHIM in the exec's environment overrides it.
char g_shim[k_path_capacity] = VQ_DEFAULT_SHIM;

// Set by the kernel for a setuid, setgid or file-capability exec (and for whatever such a
// process execs while its effective ids differ from its real ones).
bool g_secure = false;

void resolve_real_functions() {
  g_real.execve = reinterpret_cast<ExecFunctions::execve_fn>(dlsym(RTLD_NEXT, "execve"));
  g_real.execvp = reinterpret_cast<ExecFunctions::execvp_fn>(dlsym(RTLD_NEXT, "execvp"));
  g_real.execvpe = reinterpret_cast<ExecFunctions::execve_fn>(dlsym(RTLD_NEXT, "execvpe"));
  g_real.posix_spawn = reinterpret_cast<ExecFunctions::spawn_fn>(dlsym(RTLD_NEXT, "posix_spawn"));
  g_real.posix_spawnp = reinterpret_cast<ExecFunctions::spawn_fn>(dlsym(RTLD_NEXT, "posix_spawnp"));
  // getauxval reads the vector the kernel left in memory: no system call.
  g_secure = ::getauxval(AT_SECURE) != 0;
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
  // objects, which the common case need not pay for in every process. A secure process never
  // redirects, so it needs no shim.
  if (!g_secure && (shim_from_preload_list(env_value(environ, "LD_PRELOAD"), shim, sizeof shim) ||
                    (dladdr(reinterpret_cast<void*>(&initialise), &self) != 0 &&
                     shim_from_preload_list(self.dli_fname, shim, sizeof shim)))) {
    std::memcpy(g_shim, shim, std::strlen(shim) + 1);
  }
  errno = saved_errno;
}

// What the logic needs of this process at the moment of the call (environ may have moved).
// The real functions are resolved here too if another library's constructor execs before ours.
Routing routing() {
  if (g_real.execve == nullptr) resolve_real_functions();
  return Routing{&g_real, g_shim, environ, g_secure};
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
  return route_execve(routing(), "execve", path, argv, envp);
}

__attribute__((visibility("default"))) int execv(const char* path, char* const argv[]) {
  return route_execve(routing(), "execv", path, argv, environ);
}

__attribute__((visibility("default"))) int execvp(const char* file, char* const argv[]) {
  return route_execvp(routing(), "execvp", file, argv);
}

__attribute__((visibility("default"))) int execvpe(const char* file, char* const argv[],
                                                   char* const envp[]) {
  return route_execvpe(routing(), file, argv, envp);
}

__attribute__((visibility("default"))) int posix_spawn(pid_t* pid, const char* path,
                                                       const posix_spawn_file_actions_t* actions,
                                                       const posix_spawnattr_t* attributes,
                                                       char* const argv[], char* const envp[]) {
  return route_spawn(routing(), "posix_spawn", false, pid, path, actions, attributes, argv, envp);
}

__attribute__((visibility("default"))) int posix_spawnp(pid_t* pid, const char* file,
                                                        const posix_spawn_file_actions_t* actions,
                                                        const posix_spawnattr_t* attributes,
                                                        char* const argv[], char* const envp[]) {
  return route_spawn(routing(), "posix_spawnp", true, pid, file, actions, attributes, argv, envp);
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
  return route_execve(routing(), "execl", path, argv, environ);
}

__attribute__((visibility("default"))) int execlp(const char* file, const char* arg, ...) {
  va_list arguments;
  va_start(arguments, arg);
  VQ_COLLECT_LIST(arg, arguments, argv);
  va_end(arguments);
  return route_execvp(routing(), "execlp", file, argv);
}

__attribute__((visibility("default"))) int execle(const char* path, const char* arg, ...) {
  va_list arguments;
  va_start(arguments, arg);
  VQ_COLLECT_LIST(arg, arguments, argv);
  // After the terminating null pointer (already read into argv[vq_count]) comes envp.
  char* const* envp = va_arg(arguments, char* const*);
  va_end(arguments);
  return route_execve(routing(), "execle", path, argv, envp);
}

}  // extern "C"
