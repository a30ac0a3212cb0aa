/* A probe for one exec function that libvq-preload.so hooks: built once per function, with
 * PROBE_FUNCTION naming which, so that each hooked function has a program of its own.
 *
 *   probe_<function> FILE ARG0 [ARG...]
 *
 * calls <function> on FILE with the arguments {ARG0, ARG...}. The variants that take an
 * environment (execve execvpe execle posix_spawn posix_spawnp) get this process's environment
 * without PROBE_DROP and with PROBE_ENVP=<function> added, so the program run can tell which
 * environment arrived; PROBE_ENVP_PATH, when set, replaces PATH in it.
 *
 * Exec variants: when the call returns, print "<function> returned R, errno NAME" and exit 100.
 * Spawn variants: errno is set to EDOM first; the call is made PROBE_REPEAT times (default 1)
 * without waiting, then every child is waited for, and one line per call is printed:
 * "<function> returned 0, pid P, exited N" or "<function> returned NAME, errno NAME". Exit 0 when
 * every call succeeded and every child exited 0, else 100. PROBE_STDOUT=path opens the
 * children's stdout on that file through a spawn file action. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROBE_EXECVE 1
#define PROBE_EXECV 2
#define PROBE_EXECVP 3
#define PROBE_EXECVPE 4
#define PROBE_EXECL 5
#define PROBE_EXECLP 6
#define PROBE_EXECLE 7
#define PROBE_POSIX_SPAWN 8
#define PROBE_POSIX_SPAWNP 9

#if PROBE_FUNCTION == PROBE_EXECVE
#define PROBE_NAME "execve"
#elif PROBE_FUNCTION == PROBE_EXECV
#define PROBE_NAME "execv"
#elif PROBE_FUNCTION == PROBE_EXECVP
#define PROBE_NAME "execvp"
#elif PROBE_FUNCTION == PROBE_EXECVPE
#define PROBE_NAME "execvpe"
#elif PROBE_FUNCTION == PROBE_EXECL
#define PROBE_NAME "execl"
#elif PROBE_FUNCTION == PROBE_EXECLP
#define PROBE_NAME "execlp"
#elif PROBE_FUNCTION == PROBE_EXECLE
#define PROBE_NAME "execle"
#elif PROBE_FUNCTION == PROBE_POSIX_SPAWN
#define PROBE_NAME "posix_spawn"
#elif PROBE_FUNCTION == PROBE_POSIX_SPAWNP
#define PROBE_NAME "posix_spawnp"
#else
#error "PROBE_FUNCTION must name one of the hooked functions"
#endif

#define MAX_ARGUMENTS 12
#define MAX_CHILDREN 64
#define SENTINEL_ERRNO EDOM

extern char** environ;

static void say(const char* text) {
  size_t left = strlen(text);
  while (left > 0) {
    ssize_t written = write(STDOUT_FILENO, text, left);
    if (written <= 0) return;
    text += written;
    left -= (size_t)written;
  }
}

static const char* error_name(int number) {
  static char digits[16];
  const char* name = number == 0 ? "0" : strerrorname_np(number);
  if (name != NULL) return name;
  snprintf(digits, sizeof digits, "%d", number);
  return digits;
}

/* This process's environment without PROBE_DROP, plus PROBE_ENVP=<function>. */
static char** custom_environment(void) {
  size_t count = 0;
  while (environ[count] != NULL) ++count;
  char** out = calloc(count + 2, sizeof(char*));
  if (out == NULL) abort();
  size_t used = 0;
  for (size_t i = 0; i < count; ++i) {
    if (strncmp(environ[i], "PROBE_DROP=", 11) != 0) out[used++] = environ[i];
  }
  out[used++] = "PROBE_ENVP=" PROBE_NAME;
  out[used] = NULL;
  /* PROBE_ENVP_PATH: a PATH for the new program only (glibc searches the caller's PATH). */
  static char path[4096];
  const char* envp_path = getenv("PROBE_ENVP_PATH");
  if (envp_path != NULL) {
    for (size_t i = 0; i < used; ++i) {
      if (strncmp(out[i], "PATH=", 5) == 0) {
        snprintf(path, sizeof path, "PATH=%s", envp_path);
        out[i] = path;
      }
    }
  }
  return out;
}

#if PROBE_FUNCTION == PROBE_POSIX_SPAWN || PROBE_FUNCTION == PROBE_POSIX_SPAWNP

static int run(const char* file, char** argv) {
  const char* repeat_text = getenv("PROBE_REPEAT");
  int repeat = repeat_text != NULL ? atoi(repeat_text) : 1;
  if (repeat < 1 || repeat > MAX_CHILDREN) repeat = 1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const char* stdout_path = getenv("PROBE_STDOUT");
  if (stdout_path != NULL) {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, stdout_path,
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
  }
  char** envp = custom_environment();
  pid_t pids[MAX_CHILDREN];
  int results[MAX_CHILDREN];
  int errnos[MAX_CHILDREN];
  for (int i = 0; i < repeat; ++i) {
    pids[i] = -1;
    errno = SENTINEL_ERRNO;
#if PROBE_FUNCTION == PROBE_POSIX_SPAWN
    results[i] = posix_spawn(&pids[i], file, &actions, NULL, argv, envp);
#else
    results[i] = posix_spawnp(&pids[i], file, &actions, NULL, argv, envp);
#endif
    errnos[i] = errno;
  }
  int failed = 0;
  for (int i = 0; i < repeat; ++i) {
    char line[256];
    int length = snprintf(line, sizeof line, PROBE_NAME " returned %s", error_name(results[i]));
    failed |= results[i] != 0;
    if (results[i] != 0) {
      snprintf(line + length, sizeof line - length, ", errno %s", error_name(errnos[i]));
    } else {
      int status = 0;
      while (waitpid(pids[i], &status, 0) == -1 && errno == EINTR) {
      }
      if (WIFEXITED(status)) {
        snprintf(line + length, sizeof line - length, ", pid %d, exited %d", (int)pids[i],
                 WEXITSTATUS(status));
      } else {
        snprintf(line + length, sizeof line - length, ", pid %d, wait status %d", (int)pids[i],
                 status);
      }
      failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    }
    say(line);
    say("\n");
  }
  return failed ? 100 : 0;
}

#else

#if PROBE_FUNCTION == PROBE_EXECL
#define CALL_LIST(...) execl(file, __VA_ARGS__)
#elif PROBE_FUNCTION == PROBE_EXECLP
#define CALL_LIST(...) execlp(file, __VA_ARGS__)
#elif PROBE_FUNCTION == PROBE_EXECLE
#define CALL_LIST(...) execle(file, __VA_ARGS__, envp)
#endif

#ifdef CALL_LIST
/* The list variants take their arguments one by one: one call per argument count, so that
 * each call ends its list exactly where the probe's arguments end (execle's envp follows). */
static int call_list(const char* file, char** a, int count, char** envp) {
  (void)envp;
  char* const end = NULL;
  switch (count) {
    case 1:
      return CALL_LIST(a[0], end);
    case 2:
      return CALL_LIST(a[0], a[1], end);
    case 3:
      return CALL_LIST(a[0], a[1], a[2], end);
    case 4:
      return CALL_LIST(a[0], a[1], a[2], a[3], end);
    case 5:
      return CALL_LIST(a[0], a[1], a[2], a[3], a[4], end);
    case 6:
      return CALL_LIST(a[0], a[1], a[2], a[3], a[4], a[5], end);
    case 7:
      return CALL_LIST(a[0], a[1], a[2], a[3], a[4], a[5], a[6], end);
    case 8:
      return CALL_LIST(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], end);
    case 9:
      return CALL_LIST(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], end);
    case 10:
      return CALL_LIST(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], end);
    case 11:
      return CALL_LIST(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], end);
    case 12:
      return CALL_LIST(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11],
                       end);
  }
  errno = E2BIG;
  return -1;
}
#endif

static int run(const char* file, char** argv) {
  char** envp = custom_environment();
  (void)envp;
  int count = 0;
  while (argv[count] != NULL) ++count;
  (void)count;
  errno = 0;
#if PROBE_FUNCTION == PROBE_EXECVE
  int result = execve(file, argv, envp);
#elif PROBE_FUNCTION == PROBE_EXECV
  int result = execv(file, argv);
#elif PROBE_FUNCTION == PROBE_EXECVP
  int result = execvp(file, argv);
#elif PROBE_FUNCTION == PROBE_EXECVPE
  int result = execvpe(file, argv, envp);
#else
  int result = call_list(file, argv, count, envp);
#endif
  int error = errno;
  char line[256];
  snprintf(line, sizeof line, PROBE_NAME " returned %d, errno %s\n", result, error_name(error));
  say(line);
  return 100;
}

#endif

int main(int argc, char** argv) {
  if (argc < 3 || argc - 2 > MAX_ARGUMENTS) {
    fprintf(stderr, "usage: %s FILE ARG0 [ARG...] (at most %d arguments)\n", argv[0],
            MAX_ARGUMENTS);
    return 2;
  }
  return run(argv[1], argv + 2);
}
