/* Benchmark helper: prints this process's resident set (VmRSS, KiB) as it starts, so the
 * memory the preload library adds to a process can be compared with and without it. */
#include <stdio.h>
#include <string.h>

int main(void) {
  FILE* status = fopen("/proc/self/status", "r");
  if (status == NULL) return 1;
  char line[256];
  while (fgets(line, sizeof line, status) != NULL) {
    if (strncmp(line, "VmRSS:", 6) == 0) {
      long kib = 0;
      sscanf(line + 6, "%ld", &kib);
      printf("%ld\n", kib);
      return 0;
    }
  }
  return 1;
}
