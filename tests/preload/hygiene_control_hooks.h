/* Stubs with the names and signatures of the nine hooks, for the hygiene check's controls. */
#include <spawn.h>

#ifdef __cplusplus
#define CONTROL_EXPORT extern "C" __attribute__((visibility("default")))
#else
#define CONTROL_EXPORT __attribute__((visibility("default")))
#endif

CONTROL_EXPORT int execve(const char* path, char* const argv[], char* const envp[]) {
  (void)path, (void)argv, (void)envp;
  return -1;
}
CONTROL_EXPORT int execv(const char* path, char* const argv[]) {
  (void)path, (void)argv;
  return -1;
}
CONTROL_EXPORT int execvp(const char* file, char* const argv[]) {
  (void)file, (void)argv;
  return -1;
}
CONTROL_EXPORT int execvpe(const char* file, char* const argv[], char* const envp[]) {
  (void)file, (void)argv, (void)envp;
  return -1;
}
CONTROL_EXPORT int execl(const char* path, const char* arg, ...) {
  (void)path, (void)arg;
  return -1;
}
CONTROL_EXPORT int execlp(const char* file, const char* arg, ...) {
  (void)file, (void)arg;
  return -1;
}
CONTROL_EXPORT int execle(const char* path, const char* arg, ...) {
  (void)path, (void)arg;
  return -1;
}
CONTROL_EXPORT int posix_spawn(pid_t* pid, const char* path,
                               const posix_spawn_file_actions_t* actions,
                               const posix_spawnattr_t* attributes, char* const argv[],
                               char* const envp[]) {
  (void)pid, (void)path, (void)actions, (void)attributes, (void)argv, (void)envp;
  return 1;
}
CONTROL_EXPORT int posix_spawnp(pid_t* pid, const char* file,
                                const posix_spawn_file_actions_t* actions,
                                const posix_spawnattr_t* attributes, char* const argv[],
                                char* const envp[]) {
  (void)pid, (void)file, (void)actions, (void)attributes, (void)argv, (void)envp;
  return 1;
}
