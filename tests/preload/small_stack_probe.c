/* Calls the hooks where stack is scarce, as host programs legitimately do: execve from a signal
 * handler running on an 8 KiB alternate signal stack (a crash reporter), and posix_spawnp from a
 * thread with a 16 KiB stack. Exits 0 when both work; a hook that needs more stack crashes it.
 * Usage: small_stack_probe altstack|thread */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

static void on_signal(int signal_number) {
  (void)signal_number;
  char* argv[] = {"true", NULL};
  execve("/bin/true", argv, environ);
  _exit(3);
}

static int exec_on_alternate_stack(void) {
  /* A guard page below the 8 KiB stack turns an overflow into a crash, not silent damage. */
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  const size_t size = 8192;
  char* memory =
      mmap(NULL, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return 2;
  mprotect(memory, page, PROT_NONE);
  stack_t stack = {.ss_sp = memory + page, .ss_size = size, .ss_flags = 0};
  if (sigaltstack(&stack, NULL) != 0) return 2;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  action.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR1, &action, NULL);
  raise(SIGUSR1);
  return 4; /* the handler execs */
}

static void* spawn_from_thread(void* result) {
  pid_t pid;
  char* argv[] = {"true", NULL};
  int status = 0;
  int error = posix_spawnp(&pid, "true", NULL, NULL, argv, environ);
  *(int*)result = error == 0 && waitpid(pid, &status, 0) == pid && status == 0 ? 0 : 5;
  return NULL;
}

static int spawn_on_small_thread_stack(void) {
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, 16384);
  pthread_t thread;
  int result = 6;
  if (pthread_create(&thread, &attributes, spawn_from_thread, &result) != 0) return 2;
  pthread_join(thread, NULL);
  return result;
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "altstack") == 0) return exec_on_alternate_stack();
  if (argc == 2 && strcmp(argv[1], "thread") == 0) return spawn_on_small_thread_stack();
  fprintf(stderr, "usage: small_stack_probe altstack|thread\n");
  return 2;
}
