/* Calls the hooks where stack is scarce, as host programs legitimately do: an exec from a signal
 * handler running on an 8 KiB alternate signal stack (a crash reporter), and posix_spawnp from a
 * thread with a 16 KiB stack or from a 12 KiB coroutine stack (makecontext; glibc refuses thread
 * stacks below 16 KiB). The *-node modes run `node SCRIPT ok`, a launch candidate that takes the
 * hooks' longer path; SCRIPT exits 0 only when it gets "ok". Exits 0 when the call worked, 77
 * (skipped) when node is not installed; a hook that needs more stack crashes it.
 * Usage: small_stack_probe altstack|thread | altstack-node|coroutine-node NODE SCRIPT */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

extern char** environ;

static const char* g_node = NULL;
static const char* g_script = NULL;

/* `size` bytes of stack above a guard page: an overflow crashes instead of damaging memory. */
static char* guarded_stack(size_t size) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  char* memory =
      mmap(NULL, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return NULL;
  mprotect(memory, page, PROT_NONE);
  return memory + page;
}

static void on_signal(int signal_number) {
  (void)signal_number;
  if (g_node != NULL) {
    /* execvp: the PATH search runs in the hook too. The script is relative to the working
     * directory, so the hook also makes it absolute. */
    char* argv[] = {"node", (char*)g_script, "ok", NULL};
    execvp("node", argv);
  } else {
    char* argv[] = {"true", NULL};
    execve("/bin/true", argv, environ);
  }
  _exit(3);
}

static int exec_on_alternate_stack(void) {
  const size_t size = 8192;
  char* memory = guarded_stack(size);
  if (memory == NULL) return 2;
  stack_t stack = {.ss_sp = memory, .ss_size = size, .ss_flags = 0};
  if (sigaltstack(&stack, NULL) != 0) return 2;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  action.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR1, &action, NULL);
  raise(SIGUSR1);
  return 4; /* the handler execs */
}

static int spawn_and_wait(void) {
  pid_t pid;
  int status = 0;
  char* true_argv[] = {"true", NULL};
  char* node_argv[] = {"node", (char*)g_script, "ok", NULL};
  int error = g_node != NULL ? posix_spawnp(&pid, "node", NULL, NULL, node_argv, environ)
                             : posix_spawnp(&pid, "true", NULL, NULL, true_argv, environ);
  return error == 0 && waitpid(pid, &status, 0) == pid && status == 0 ? 0 : 5;
}

static void* spawn_from_thread(void* result) {
  *(int*)result = spawn_and_wait();
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

static ucontext_t g_caller;
static int g_coroutine_result = 6;

static void coroutine(void) {
  g_coroutine_result = spawn_and_wait();
}

static int spawn_on_coroutine_stack(void) {
  const size_t size = 12288;
  char* memory = guarded_stack(size);
  if (memory == NULL) return 2;
  /* Painted, so the depth the call reached can be reported (to compare with and without the
   * library: the difference is what the hooks need). */
  memset(memory, 0xa5, size);
  ucontext_t context;
  if (getcontext(&context) != 0) return 2;
  context.uc_stack.ss_sp = memory;
  context.uc_stack.ss_size = size;
  context.uc_link = &g_caller;
  makecontext(&context, coroutine, 0);
  if (swapcontext(&g_caller, &context) != 0) return 2;
  size_t untouched = 0;
  while (untouched < size && (unsigned char)memory[untouched] == 0xa5) ++untouched;
  fprintf(stderr, "coroutine stack used: %zu of %zu bytes\n", size - untouched, size);
  return g_coroutine_result;
}

int main(int argc, char** argv) {
  if (argc == 4 && strstr(argv[1], "-node") != NULL) {
    if (access(argv[2], X_OK) != 0) {
      fprintf(stderr, "skipped: %s is not installed (the node cases need a real node)\n", argv[2]);
      return 77;
    }
    g_node = argv[2];
    g_script = argv[3];
  }
  if (argc == 2 && strcmp(argv[1], "altstack") == 0) return exec_on_alternate_stack();
  if (argc == 2 && strcmp(argv[1], "thread") == 0) return spawn_on_small_thread_stack();
  if (argc == 4 && strcmp(argv[1], "altstack-node") == 0) return exec_on_alternate_stack();
  if (argc == 4 && strcmp(argv[1], "coroutine-node") == 0) return spawn_on_coroutine_stack();
  fprintf(stderr,
          "usage: small_stack_probe altstack|thread | altstack-node|coroutine-node NODE SCRIPT\n");
  return 2;
}
