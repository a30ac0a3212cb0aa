// The seam between the hooks' logic and the real exec functions (as Bear's Linker is): the
// library fills it with the functions dlsym(RTLD_NEXT) finds, the unit tests with fakes that
// record what would have been executed or spawned.
#pragma once

#include <spawn.h>
#include <sys/types.h>

namespace vq::preload {

struct ExecFunctions {
  using execve_fn = int (*)(const char*, char* const[], char* const[]);
  using execvp_fn = int (*)(const char*, char* const[]);
  using spawn_fn = int (*)(pid_t*, const char*, const posix_spawn_file_actions_t*,
                           const posix_spawnattr_t*, char* const[], char* const[]);

  execve_fn execve = nullptr;
  execvp_fn execvp = nullptr;
  execve_fn execvpe = nullptr;
  spawn_fn posix_spawn = nullptr;
  spawn_fn posix_spawnp = nullptr;
};

}  // namespace vq::preload
