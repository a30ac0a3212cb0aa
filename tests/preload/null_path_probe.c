/* execve, execv, execl and execle with a NULL path fail with EFAULT in glibc (the kernel refuses
 * the address). With the preload loaded they must fail the same way, not crash in a hook.
 * Exits 0 when all four returned -1 with EFAULT. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

extern char** environ;

int main(void) {
  char* argv[] = {"x", NULL};
  const char* volatile path = NULL; /* volatile: the compiler must not see the NULL */
  int failures = 0;
  errno = 0;
  if (execve(path, argv, environ) != -1 || errno != EFAULT) ++failures;
  errno = 0;
  if (execv(path, argv) != -1 || errno != EFAULT) ++failures;
  errno = 0;
  if (execl(path, "x", (char*)NULL) != -1 || errno != EFAULT) ++failures;
  errno = 0;
  if (execle(path, "x", (char*)NULL, environ) != -1 || errno != EFAULT) ++failures;
  printf("%d of 4 calls did not fail with EFAULT\n", failures);
  return failures == 0 ? 0 : 1;
}
