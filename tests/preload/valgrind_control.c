/* The control for the valgrind test: a branch on uninitialised memory, which memcheck reports.
 * Run through the same valgrind command line as the real session, it proves that an error in
 * a traced child makes the command fail. */
#include <stdio.h>
#include <stdlib.h>

/* The error is the point. */
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

int main(void) {
  int* value = malloc(sizeof *value);
  if (value == NULL) return 2;
  volatile int seen = *value;
  if (seen > 0) puts("positive");
  free(value);
  return 0;
}
