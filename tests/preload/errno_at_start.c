/* Prints errno as main() finds it: loading a preload library must not change it. */
#include <errno.h>
#include <stdio.h>

int main(void) {
  int seen = errno;
  printf("errno at start: %d\n", seen);
  return 0;
}
