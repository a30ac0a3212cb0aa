// One hooked exec call's way: straight to the real function, or — for a vitest launch — to the
// shim, with the real target in VQ_REDIRECT. The hooks in hooks.cpp only forward to these.
//
// Contracts, as the real functions keep them: an exec returns only on failure, -1 with errno
// from the real call; a spawn returns the error number and leaves errno as the real call left
// it. When the shim cannot be run, the original call runs unchanged (fail open).
//
// Stack: a call that is not a launch candidate uses a few bytes; a candidate's paths and its
// environment copy live in a mapping made for the call (launch_room), never on the stack.
#pragma once

#include <spawn.h>
#include <sys/types.h>

#include "exec_functions.h"

namespace vq::preload {

struct Routing {
  const ExecFunctions* real = nullptr;
  // The shim beside the library (or the installation's); VQ_SHIM in the call's envp wins.
  const char* installed_shim = "";
  // The process's environment: the p variants search its PATH, as glibc's do.
  char* const* process_environment = nullptr;
  // AT_SECURE (a setuid, setgid or file-capability program): every exec passes through
  // unchanged, because every VQ_* variable the hooks would read is the invoking user's.
  bool secure = false;
};

int route_execve(const Routing& routing, const char* function, const char* path, char* const argv[],
                 char* const envp[]);
// execvp and execvpe: `file` searched on PATH; `envp` is the process environment for execvp.
int route_execvp(const Routing& routing, const char* function, const char* file,
                 char* const argv[]);
int route_execvpe(const Routing& routing, const char* file, char* const argv[], char* const envp[]);
// posix_spawn (search false) and posix_spawnp (search true).
int route_spawn(const Routing& routing, const char* function, bool search, pid_t* pid,
                const char* file, const posix_spawn_file_actions_t* actions,
                const posix_spawnattr_t* attributes, char* const argv[], char* const envp[]);

}  // namespace vq::preload
