/* Benchmark helper: runs PROGRAM ARGS... and prints its peak resident set (ru_maxrss, KiB).
 * A small C program on purpose: ru_maxrss also covers the image the child had before exec,
 * which for a spawned child starts as a view of its parent's; this parent is tiny, so the figure
 * is the program's own. */
#include <spawn.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char** environ;

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: max_rss PROGRAM [ARGS...]\n");
    return 2;
  }
  pid_t pid;
  int error = posix_spawn(&pid, argv[1], NULL, NULL, argv + 1, environ);
  if (error != 0) {
    fprintf(stderr, "max_rss: cannot run %s: error %d\n", argv[1], error);
    return 1;
  }
  int status;
  struct rusage usage;
  if (wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "max_rss: %s failed\n", argv[1]);
    return 1;
  }
  printf("%ld\n", usage.ru_maxrss);
  return 0;
}
