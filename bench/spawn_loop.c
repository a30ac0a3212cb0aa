/* Benchmark helper: posix_spawn PROGRAM COUNT times, waiting for each, so the cost of the
 * preload's posix_spawn hook (and of loading it into every child) can be timed. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

extern char** environ;

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: spawn_loop COUNT PROGRAM\n");
    return 2;
  }
  long count = strtol(argv[1], NULL, 10);
  char* child_argv[] = {argv[2], NULL};
  for (long i = 0; i < count; ++i) {
    pid_t pid;
    int error = posix_spawn(&pid, argv[2], NULL, NULL, child_argv, environ);
    if (error != 0) {
      fprintf(stderr, "spawn_loop: posix_spawn %s: error %d\n", argv[2], error);
      return 1;
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "spawn_loop: %s failed\n", argv[2]);
      return 1;
    }
  }
  return 0;
}
