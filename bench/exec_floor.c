/* The floor of launch overhead for any program that sits where vitest was found and then execs
 * the real one: a static binary that does nothing but exec its arguments. Usage: exec_floor
 * PROGRAM [ARG...]. What it adds over running PROGRAM directly is one more exec and process
 * start, which no shim on PATH can avoid; vq's shim is static for the same reason. */
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  execv(argv[1], argv + 1);
  return 127;
}
