/* The benchmark's stand-in for vitest: a tiny native program, so the figures are about the
 * queue. BENCH_RECORD=path appends "start PID NS" when it starts and "exit PID NS" just before
 * it exits (CLOCK_MONOTONIC; one O_APPEND write per line); BENCH_SLEEP_MS=N sleeps between. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void record(const char* path, const char* event) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  char line[96];
  int length = snprintf(line, sizeof line, "%s %d %lld\n", event, (int)getpid(),
                        (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  ssize_t ignored = write(fd, line, (size_t)length);
  (void)ignored;
  close(fd);
}

int main(void) {
  const char* path = getenv("BENCH_RECORD");
  if (path != NULL) record(path, "start");
  const char* sleep_ms = getenv("BENCH_SLEEP_MS");
  if (sleep_ms != NULL) {
    long ms = strtol(sleep_ms, NULL, 10);
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&pause, &pause) != 0) {
    }
  }
  if (path != NULL) record(path, "exit");
  return 0;
}
